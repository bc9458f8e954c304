/* fpmode.h — the floating-point mode training runs in: subnormal
 * results flushed to zero, subnormal operands read as zero (x86's
 * MXCSR FTZ and DAZ bits; elsewhere nothing changes).
 *
 * Why.  Each product or sum that reads or writes a subnormal costs x86
 * a microcode assist of about a hundred cycles.  Training makes them on
 * its own: L2 decays the weights of units that never fire, and Adam's
 * moments with them, geometrically towards 0, and a saturated softmax
 * gives deltas of 1e-40.  On a 4-128-64-3 network of 112 rows, 1000
 * epochs of Adam with L2 0.01 left 758 of layer 2's 8192 weights
 * subnormal, and the last 500 epochs took 7 times as long as the first
 * 500.  What a subnormal carries is below float32's resolution of any
 * sum it joins; TensorFlow runs its CPU kernels in the same mode.
 *
 * The mode is a thread's: dn_fpmode_enter sets it on the calling thread
 * and returns the mode before, which dn_fpmode_leave puts back, so a
 * caller of the library finds its own mode unchanged.  The pool's
 * workers take the mode of the thread that posts each job (pool.c), so
 * a product has the same bits on any number of threads. */
#ifndef DN_FPMODE_H
#define DN_FPMODE_H

unsigned dn_fpmode_get(void);
void     dn_fpmode_set(unsigned mode);
unsigned dn_fpmode_enter(void);
void     dn_fpmode_leave(unsigned before);
/* The mode without the flush, for code that checks values rather than
 * computes with them: under DAZ a subnormal compares as 0, so a check
 * like eta >= 0 would pass −1e-308 inside training and refuse it outside
 * (fuzz_checkpoint found a checkpoint that read_info refused and a
 * resume accepted).  Returns the mode before, for dn_fpmode_leave. */
unsigned dn_fpmode_exact(void);

#endif
