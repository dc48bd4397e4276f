/* sys.h: the little the demo needs instead of a C library: write(2), exit_group(2) and
 * printing a line, all through raw system calls. Every function is `static`, so the
 * program and the library each carry their own copy and neither depends on the other
 * for it. */
#ifndef DEMO_SYS_H
#define DEMO_SYS_H

#define DEMO_UNUSED __attribute__((unused))

/* write(2) is system call 1 on x86_64. */
static DEMO_UNUSED long sys_write(int fd, const void *buf, unsigned long len)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(1L), "D"((long)fd), "S"(buf), "d"(len)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Writes a NUL-terminated string to stdout, retrying short writes. */
static DEMO_UNUSED void put(const char *s)
{
	unsigned long len = 0;
	while (s[len] != '\0')
		len++;
	while (len > 0) {
		long n = sys_write(1, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (unsigned long)n;
	}
}

/* Writes an unsigned number in decimal to stdout. */
static DEMO_UNUSED void put_num(unsigned long v)
{
	char buf[21];
	char *p = buf + sizeof buf - 1;
	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(p);
}

#endif
