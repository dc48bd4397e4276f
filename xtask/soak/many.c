// many DIR COUNT ROUNDS: opens COUNT distinct TLS libraries (DIR/libmany-N.so, copies of
// one file) all at once, calls each one's function in this thread and in four others,
// closes them all; ROUNDS times.  Prints what it saw; on stderr, the growth of VmRSS and
// VmSize from the end of the first round to the end of the last, and the peak VmRSS.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proc_status.h"

static int count;
static int (**touch)(int);

static void *use_all(void *arg) {
    long bad = 0;
    for (int i = 0; i < count; i++)
        if (touch[i](i) != i + 1)
            bad++;
    return (void *)bad + (long)arg;
}

int main(int argc, char **argv) {
    if (argc < 4)
        return 2;
    const char *dir = argv[1];
    count = atoi(argv[2]);
    int rounds = atoi(argv[3]);
    void **handles = calloc(count, sizeof *handles);
    touch = calloc(count, sizeof *touch);
    long bad = 0, rss = 0, size = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < count; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/libmany-%04d.so", dir, i);
            handles[i] = dlopen(path, RTLD_NOW);
            if (!handles[i]) {
                printf("round %d: dlopen %d: %s\n", r, i, dlerror());
                return 1;
            }
            touch[i] = (int (*)(int))dlsym(handles[i], "touch");
        }
        bad += (long)use_all(NULL);
        pthread_t t[4];
        for (int k = 0; k < 4; k++)
            pthread_create(&t[k], NULL, use_all, NULL);
        for (int k = 0; k < 4; k++) {
            void *b;
            pthread_join(t[k], &b);
            bad += (long)b;
        }
        for (int i = 0; i < count; i++)
            dlclose(handles[i]);
        if (r == 0) {
            rss = status_kb("VmRSS:");
            size = status_kb("VmSize:");
        }
    }
    fprintf(stderr, "growth %ld %ld peak %ld\n", status_kb("VmRSS:") - rss, status_kb("VmSize:") - size,
            status_kb("VmHWM:"));
    printf("%d libraries at once, %d rounds: %ld bad results\n", count, rounds, bad);
    return 0;
}
