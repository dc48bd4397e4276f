/* demo: a -nostdlib program that uses libdemo.so and prints what its dynamic linker did.
 *
 * Nothing here depends on which loader runs it, or how: the output must be the same under
 * glibc's ld.so and under ld-rs, whether named on the loader's command line or started by
 * the kernel through PT_INTERP. */
#include "sys.h"

extern long demo_counter;
long demo_bump(void);
int demo_version(void);
unsigned long demo_popcount(unsigned long x);
const char *demo_popcount_variant(void);

/* A reference to the old version of demo_version, as a program linked against the first
 * release of libdemo.so would have. */
int demo_version_old(void);
__asm__(".symver demo_version_old, demo_version@DEMO_1");

int main(int argc, char **argv, char **envp)
{
	(void)argv;
	(void)envp;
	put("demo: main started with argc = ");
	put_num((unsigned long)argc);
	put("\n");

	/* The constructor has run, and wrote to the program's copy of the counter. */
	put("demo: demo_counter = ");
	put_num((unsigned long)demo_counter);
	put(" (set by the constructor)\n");

	/* The first call goes through the lazy-binding trampoline, the next ones straight to
	 * the function. */
	put("demo: demo_bump() through the PLT returns ");
	put_num((unsigned long)demo_bump());
	put(", then ");
	put_num((unsigned long)demo_bump());
	put("\n");
	put("demo: demo_counter = ");
	put_num((unsigned long)demo_counter);
	put(" (library and program share one counter)\n");

	put("demo: demo_version() = ");
	put_num((unsigned long)demo_version());
	put(" (demo_version@@DEMO_2), demo_version@DEMO_1 = ");
	put_num((unsigned long)demo_version_old());
	put("\n");

	put("demo: demo_popcount(0xF00F) = ");
	put_num(demo_popcount(0xF00F));
	put(", computed by ");
	put(demo_popcount_variant());
	put("\n");
	return 0;
}
