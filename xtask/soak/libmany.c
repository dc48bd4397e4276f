// libmany-N.so: one TLS variable with an initial value and a constructor.
static int loaded;
__thread int counter = -1;
__attribute__((constructor)) static void init(void) { loaded = 1; }
int touch(int i) {
    if (counter == -1)
        counter = i;
    return counter + loaded;
}
