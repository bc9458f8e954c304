/* test_progress.c — the CLI's progress display (cli/progress.c, built
 * into this test).  Not a terminal: one plain summary line per epoch and
 * not one control character.  A terminal (forced): the live line is
 * redrawn in place with \r and ESC [K, at most ten times a second, and
 * becomes the summary — which also shows that the control-character
 * check is able to fail. */
#include "check.h"
#include "../cli/progress.c"
#include <stdlib.h>
#include <string.h>

static char *contents(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) s[0] = 0;
    return s;
}

static int control_chars(const char *s)
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7F;
    return n;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static dn_hist_row row(int epoch, double val_loss)
{
    dn_hist_row r = { .epoch = epoch, .step = 4L * epoch, .train_loss = 0.5,
                      .val_loss = val_loss, .train_metric = 0.75,
                      .val_metric = 0.8125, .learning_rate = 0.01,
                      .grad_norm = 1.25, .seconds = 0.5 };
    return r;
}

/* Runs `epochs` epochs of `batches` batches through a progress object
 * writing to f. */
static void run(progress *p, int epochs, int batches, double val_loss)
{
    for (int e = 1; e <= epochs; e++) {
        for (int b = 1; b <= batches; b++)
            progress_batch(p, e, b, batches, 32L * b, 1.0 / b);
        dn_hist_row r = row(e, val_loss);
        progress_epoch(p, &r);
    }
    progress_end(p);
}

static void test_plain(void)
{
    FILE *f = tmpfile();
    progress p;
    progress_init(&p, f, 3, "accuracy", 0);
    CHECK(p.tty == 0, "a temporary file was taken for a terminal");
    run(&p, 3, 500, 0.4);
    char *s = contents(f);
    CHECK(s && control_chars(s) == 0, "%d control characters in non-terminal "
          "output", s ? control_chars(s) : -1);
    CHECK(s && count(s, "\n") == 3, "%d lines for 3 epochs", s ? count(s, "\n") : -1);
    CHECK(s && !strncmp(s, "epoch 1/3  train loss 0.5000  acc  75.0%   val "
          "loss 0.4000  acc  81.2%   lr 0.01  0.50s\n", 83),
          "first line: %.90s", s ? s : "");
    CHECK(s && count(s, "samples/s") == 0, "a live line in plain output");
    free(s);
    fclose(f);

    /* No validation data, regression's metric, verbose, 100+ epochs. */
    f = tmpfile();
    progress_init(&p, f, 120, "mae", 1);
    dn_hist_row r = row(7, NAN);
    r.train_metric = 3.25;
    progress_epoch(&p, &r);
    s = contents(f);
    CHECK(s && !strcmp(s, "epoch   7/120  train loss 0.5000  mae 3.25   lr 0.01"
          "  0.50s  |g| 1.25  step 28\n"), "regression line: '%s'", s ? s : "");
    free(s);
    fclose(f);

    /* A diverged run: a huge loss in four significant digits, not the 45
     * digits of %.4f; an ordinary one keeps its four decimals. */
    f = tmpfile();
    progress_init(&p, f, 9, NULL, 0);
    r = row(1, 123456.78);
    r.train_loss = 1.2345678e44;
    progress_epoch(&p, &r);
    s = contents(f);
    CHECK(s && strstr(s, "train loss 1.235e+44   val loss 123456.7800   lr"),
          "huge losses: '%s'", s ? s : "");
    free(s);
    fclose(f);
    f = tmpfile();
    progress_init(&p, f, 9, NULL, 0);
    p.tty = 1;
    progress_batch(&p, 1, 1, 2, 32, -3e30);
    progress_end(&p);
    s = contents(f);
    CHECK(s && strstr(s, "loss -3e+30\033[K"), "live huge loss: '%s'",
          s ? s : "");
    free(s);
    fclose(f);
}

static void test_terminal(void)
{
    FILE *f = tmpfile();
    progress p;
    progress_init(&p, f, 2, "accuracy", 0);
    p.tty = 1;   /* as if stdout were a terminal */
    run(&p, 2, 20000, 0.4);
    char *s = contents(f);
    CHECK(s && control_chars(s) > 0, "terminal output has no control "
          "characters: the check above could not fail");
    /* 20,000 batches in well under a second: a few redraws, not 20,000. */
    int draws = s ? count(s, "samples/s") : -1;
    CHECK(draws >= 2 && draws <= 40, "%d redraws of the live line", draws);
    CHECK(s && count(s, "\r\033[Kepoch 1/2  train loss") == 1 &&
          count(s, "\r\033[Kepoch 2/2  train loss") == 1, "summaries do not "
          "replace the live line");
    CHECK(s && strstr(s, "[====================] 100%"), "no full bar at the "
          "epoch's last batch");
    /* Every live line ends by clearing the rest of the line. */
    CHECK(s && count(s, "samples/s") == count(s, "\033[K") - 2,
          "%d live lines, %d clears", count(s, "samples/s"), count(s, "\033[K"));
    CHECK(s && count(s, "\n") == 2, "%d newlines", s ? count(s, "\n") : -1);
    free(s);
    fclose(f);

    /* Stopped inside an epoch: progress_end finishes the line. */
    f = tmpfile();
    progress_init(&p, f, 5, NULL, 0);
    p.tty = 1;
    progress_batch(&p, 1, 3, 10, 96, 0.7);
    progress_end(&p);
    s = contents(f);
    size_t n = s ? strlen(s) : 0;
    CHECK(n > 0 && s[n - 1] == '\n' && strstr(s, " 30%") &&
          strstr(s, "loss 0.7000"), "interrupted line: '%s'", s ? s : "");
    free(s);
    fclose(f);
}

int main(void)
{
    RUN(test_plain);
    RUN(test_terminal);
    return check_done("test_progress");
}
