/* poller.c - the 0.5 s hash poller that hotconf replaces: every interval,
 * read the file whole, hash it (FNV-1a), and print it when the hash moved.
 * usage: poller FILE [INTERVAL_MS]   (bench/peers/run.sh) */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    uint64_t last = 0;
    int first = 1;
    long ms = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
    struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};
    if (argc < 2 || ms <= 0) {
        fprintf(stderr, "usage: poller FILE [INTERVAL_MS]\n");
        return 2;
    }
    for (;;) {
        FILE *f = fopen(argv[1], "rb");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            uint64_t h = 1469598103934665603ULL;
            fclose(f);
            for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
            if (n > 0 && (first || h != last)) {
                buf[n] = 0;
                fputs(buf, stdout);
                if (buf[n - 1] != '\n')
                    putchar('\n');
                fflush(stdout);
                last = h;
                first = 0;
            }
        }
        nanosleep(&gap, NULL);
    }
}
