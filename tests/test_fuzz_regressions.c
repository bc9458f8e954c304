/* test_fuzz_regressions.c — every input the fuzz targets keep in the
 * repository, replayed in the normal suite under any compiler: the seed
 * corpora (fuzz/corpus/TARGET: small valid files and the bad-input
 * fixtures) and every input that once crashed a target or broke one of
 * its promises (fuzz/regressions/TARGET).
 *
 * The targets are included with FUZZ_REPLAY, so each entry point is a
 * plain function and each promise a target checks (fuzz/fuzz.h: clean
 * failures naming the file, consistent data and models, save-and-load
 * round trips) is a CHECK here.  Besides, seeds named good_* must load
 * and bad_* must not, and every fuzz/fuzz_*.c must be replayed here.
 * Under `make sanitize` the same replay runs with ASan and UBSan. */
#define FUZZ_REPLAY
#include "check.h"
#define FUZZ_CHECK(cond, ...) CHECK(cond, __VA_ARGS__)
#include "../fuzz/fuzz_checkpoint.c"
#include "../fuzz/fuzz_csv.c"
#include "../fuzz/fuzz_csv_with.c"
#include "../fuzz/fuzz_idx.c"
#include "../fuzz/fuzz_json.c"
#include "../fuzz/fuzz_model.c"
#include "../fuzz/fuzz_rowcache.c"

typedef struct {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} target;

static const target TARGETS[] = {
    { "checkpoint", fuzz_checkpoint },
    { "csv", fuzz_csv },
    { "csv_with", fuzz_csv_with },
    { "idx", fuzz_idx },
    { "json", fuzz_json },
    { "model", fuzz_model },
    { "rowcache", fuzz_rowcache },
};
#define N_TARGETS (int)(sizeof TARGETS / sizeof *TARGETS)


static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Replays every file of dir through t; returns how many. */
static int replay_dir(const target *t, const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) return 0;
    int n = 0;
    struct dirent *e;
    char path[512];
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        unsigned char *b = (unsigned char *)check_slurp(path, &len);
        CHECK(b != NULL, "cannot read %s", path);
        if (!b) continue;
        int before = check_failed;
        fuzz_loaded_ = -1;
        CHECK(t->run(b, len) == 0, "%s returned non-zero", path);
        if (starts(e->d_name, "good_"))
            CHECK(fuzz_loaded_ == 1, "%s: a valid seed did not load", path);
        if (starts(e->d_name, "bad_"))
            CHECK(fuzz_loaded_ == 0, "%s: a bad seed loaded", path);
        if (check_failed != before)
            fprintf(stderr, "  (while replaying %s)\n", path);
        free(b);
        n++;
    }
    closedir(dp);
    return n;
}

/* Every fuzz/fuzz_*.c has an entry in TARGETS. */
static void test_all_targets_listed(void)
{
    DIR *dp = opendir("fuzz");
    CHECK(dp != NULL, "no fuzz/ directory (run from the repository root)");
    if (!dp) return;
    int files = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        if (!starts(e->d_name, "fuzz_") || n < 8 ||
            strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        files++;
        int found = 0;
        for (int i = 0; i < N_TARGETS; i++)
            found |= strlen(TARGETS[i].name) == n - 7 &&
                     strncmp(TARGETS[i].name, e->d_name + 5, n - 7) == 0;
        CHECK(found, "fuzz/%s is not replayed by this test", e->d_name);
    }
    closedir(dp);
    CHECK(files == N_TARGETS, "%d targets in fuzz/, %d replayed", files,
          N_TARGETS);
}

int main(void)
{
    RUN(test_all_targets_listed);
    char dir[256];
    for (int i = 0; i < N_TARGETS; i++) {
        /* The empty input first (it also lets FUZZ_WRITE_SEEDS work when
         * a corpus is empty). */
        CHECK(TARGETS[i].run((const uint8_t *)"", 0) == 0, "%s: empty input",
              TARGETS[i].name);
        snprintf(dir, sizeof dir, "fuzz/corpus/%s", TARGETS[i].name);
        int seeds = replay_dir(&TARGETS[i], dir);
        CHECK(seeds >= 5, "%s: %d seeds (fewer than 5)", dir, seeds);
        snprintf(dir, sizeof dir, "fuzz/regressions/%s", TARGETS[i].name);
        replay_dir(&TARGETS[i], dir);
    }
    return check_done("test_fuzz_regressions");
}
