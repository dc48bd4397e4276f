/* libdemo.so: a shared library that exercises what a dynamic linker must do for it.
 *
 * - demo_counter: global data that the program reads directly, so the static linker gives
 *   the program its own copy (an R_X86_64_COPY relocation) and this library must be bound
 *   to that copy, not to its own;
 * - demo_init: a constructor, which the dynamic linker runs before the program's main;
 * - demo_bump: a function the program calls through its PLT, bound lazily on first call;
 * - demo_version: two versions of one name, demo_version@DEMO_1 and demo_version@@DEMO_2;
 * - demo_popcount: an IFUNC, whose implementation a resolver picks for this CPU when the
 *   library is loaded. */
#include "sys.h"

long demo_counter = 1;

__attribute__((constructor)) static void demo_init(void)
{
	demo_counter = 100;
	put("libdemo: constructor ran, demo_counter = ");
	put_num((unsigned long)demo_counter);
	put("\n");
}

long demo_bump(void)
{
	return ++demo_counter;
}

/* The old behaviour, kept for programs linked against the first release. */
int demo_version_1(void)
{
	return 1;
}
__asm__(".symver demo_version_1, demo_version@DEMO_1");

/* The current behaviour: what newly linked programs get. */
int demo_version_2(void)
{
	return 2;
}
__asm__(".symver demo_version_2, demo_version@@DEMO_2");

/* Two implementations of a population count: the POPCNT instruction, and a loop for CPUs
 * without it. */
__attribute__((target("popcnt"))) static unsigned long popcount_popcnt(unsigned long x)
{
	return (unsigned long)__builtin_popcountl(x);
}

static unsigned long popcount_loop(unsigned long x)
{
	unsigned long n = 0;
	for (; x != 0; x &= x - 1)
		n++;
	return n;
}

/* Which implementation the resolver chose, for the program to print. */
static const char *popcount_variant = "(resolver not run)";

/* The IFUNC resolver: runs while the dynamic linker relocates, before any constructor, so
 * it may use neither the PLT nor relocated data. CPUID leaf 1 reports POPCNT in bit 23
 * of %ecx. */
typedef unsigned long popcount_fn(unsigned long);

static popcount_fn *resolve_popcount(void)
{
	unsigned int eax = 1, ebx, ecx = 0, edx;
	__asm__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (ecx & (1u << 23)) {
		popcount_variant = "the POPCNT instruction";
		return popcount_popcnt;
	}
	popcount_variant = "a portable loop";
	return popcount_loop;
}

unsigned long demo_popcount(unsigned long x) __attribute__((ifunc("resolve_popcount")));

const char *demo_popcount_variant(void)
{
	return popcount_variant;
}
