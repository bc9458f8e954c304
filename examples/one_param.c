/* one_param.c — gradient descent on a function of one parameter.
 *
 * The smallest case of what training a network does: a cost C(w), its
 * derivative C'(w), and the update w ← w − η·C'(w), repeated.  Here
 *
 *     C(w)  = (w − 3)²          minimum at w = 3
 *     C'(w) = 2 (w − 3)
 *     w₀ = 0,  η = 0.1
 *
 * Step 1: C'(0) = −6, so w₁ = 0 − 0.1·(−6) = 0.6.
 * Step 2: C'(0.6) = −4.8, so w₂ = 0.6 + 0.48 = 1.08.
 * Every step gives w − 3 the factor 1 − 2η = 0.8, so it closes 20% of the
 * remaining distance to 3, and in closed form w_k = 3 − 3·0.8^k.
 *
 * The update is the library's dn_sgd_step, the same call that trains
 * every network's parameter vector, here on a vector of one float.
 *
 * Run:   make examples && build/examples/one_param [steps] [--check]
 *   steps    how many steps to print (default 10)
 *   --check  exit 1 unless every w_k matches 3 − 3·0.8^k to 1e-6
 *            (the test suite runs it this way)
 */
#include "descent.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double cost(double w) { return (w - 3) * (w - 3); }
static double cost_grad(double w) { return 2 * (w - 3); }

int main(int argc, char **argv)
{
    int steps = 10, check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else {
            char *end;
            long v = strtol(argv[i], &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "usage: %s [steps 1..1000] [--check]\n",
                        argv[0]);
                return 2;
            }
            steps = (int)v;
        }
    }

    const float eta = 0.1f;
    float w = 0.0f;  /* theta: a parameter vector of length 1 */
    double worst = 0;
    printf("C(w) = (w - 3)^2, C'(w) = 2(w - 3), w0 = 0, eta = %g\n\n", eta);
    for (int k = 0; k <= steps; k++) {
        float g = (float)cost_grad(w);
        double closed = 3 - 3 * pow(0.8, k);
        double err = fabs(w - closed);
        if (err > worst) worst = err;
        printf("step %2d: w = %.6f, C'(w) = %+.6f, C(w) = %.6f"
               "   (3 - 3*0.8^%d = %.6f)\n",
               k, w, cost_grad(w), cost(w), k, closed);
        if (k < steps) dn_sgd_step(&w, &g, 1, eta);  /* w -= eta * g */
    }
    printf("\nlargest |w_k - closed form| = %.2g\n", worst);
    if (check && !(worst <= 1e-6)) {
        fprintf(stderr, "one_param: w_k strays from 3 - 3*0.8^k by %.3g "
                "(> 1e-6)\n", worst);
        return 1;
    }
    return 0;
}
