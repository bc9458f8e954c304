/* clock.c — the library's two clocks, as seconds in a double.
 *
 * dn_now is for durations (an epoch's seconds, pacing windows, a spin's
 * budget): CLOCK_MONOTONIC, which no change of the system time moves.
 * dn_wall_time is for stamps a reader compares with a calendar
 * (TensorBoard's wall_time): CLOCK_REALTIME.  A double holds either with
 * better than a microsecond for centuries. */
#include "base/base.h"
#include <time.h>

static double seconds(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double dn_now(void) { return seconds(CLOCK_MONOTONIC); }

double dn_wall_time(void) { return seconds(CLOCK_REALTIME); }
