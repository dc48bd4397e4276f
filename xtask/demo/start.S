/* start.S: the program's entry point, the one piece of crt1.o a -nostdlib program needs.
 *
 * The kernel (or the dynamic linker, once it has loaded everything) jumps here with %rsp
 * pointing at argc, then argv[], NULL, envp[], NULL and the auxiliary vector. %rdx holds
 * a function the loader wants run at exit; without a C library there is no atexit to
 * register it with, and the demo has no destructors, so it is ignored. We call
 * main(argc, argv, envp) and pass its result to exit_group(2). */
	.text
	.globl	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp		/* the outermost frame */
	movl	(%rsp), %edi		/* argc */
	leaq	8(%rsp), %rsi		/* argv */
	leaq	16(%rsp,%rdi,8), %rdx	/* envp = argv + argc + 1 */
	andq	$-16, %rsp		/* a call needs a 16-byte aligned stack */
	call	main
	movl	%eax, %edi		/* main's result is the exit status */
	movl	$231, %eax		/* exit_group */
	syscall
	hlt
	.cfi_endproc
	.size	_start, .-_start

	.section .note.GNU-stack, "", @progbits
