/* test_refusals_model.c — the library's refusals of architectures,
 * tasks, scalings and metadata, each with its exact message. */
#include "refusals.h"

/* ---- architectures, tasks, scalings, metadata ---- */

static void arch_refusals(void)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    a.loss = DN_LOSS_MSE;
    CHECK(dn_arch_check(&a, &err) == DN_OK, "%s", err.msg);
    dn_arch b = a;
    b.n_in = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "input width 0 is out of range (1..");
    b = a; b.n_layers = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "0 layers: a network needs 1 to 64");
    b = a; b.loss = (dn_loss)7;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "unknown loss 7");
    b = a; b.layer[0].units = 0;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: width 0 is out of range");
    b = a; b.layer[0].act = (dn_act)40;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: unknown activation 40");
    b = a; b.layer[0].alpha = NAN;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "layer 1: slope alpha is not a finite");
    b = a; b.n_in = 1000000; b.n_layers = 2;
    b.layer[0] = (dn_layer){ .units = 1000000, .act = DN_ACT_RELU };
    b.layer[1] = (dn_layer){ .units = 1, .act = DN_ACT_IDENTITY };
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "1000002000001 parameters exceed the limit");
    b = a; b.loss = DN_LOSS_BCE;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "loss bce needs a sigmoid output (it "
           "reads the output as P(class 1)), not identity");
    b = a; b.loss = DN_LOSS_CE; b.layer[0].act = DN_ACT_SOFTMAX;
    REFUSE(dn_arch_check(&b, &err), DN_EARG, "softmax over one unit is always 1");
    b = a; b.n_layers = DN_MAX_LAYERS;
    REFUSE(dn_arch_set_task(&b, DN_TASK_BINARY, 1, &err), DN_EARG,
           "no room for the output layer: at most 64 layers");
    b = a; b.n_layers = 0;
    REFUSE(dn_arch_set_task(&b, (dn_task)9, 1, &err), DN_EARG, "unknown task 9");
    CHECK(b.n_layers == 0, "a refused task added a layer");
}

static void model_refusals(void)
{
    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    /* W1 [3, 2], b1 [3], slopes [3], W2 [1, 3], b2 [1] */
    CHECK(dn_model_offset_b(m, 0) == 6 && dn_model_offset_slope(m, 0) == 9 &&
          dn_model_offset_W(m, 1) == 12 && dn_model_offset_b(m, 1) == 15 &&
          dn_model_offset_slope(m, 1) == -1, "offsets %zu %ld %zu %zu %ld",
          dn_model_offset_b(m, 0), dn_model_offset_slope(m, 0),
          dn_model_offset_W(m, 1), dn_model_offset_b(m, 1),
          dn_model_offset_slope(m, 1));
    const float mean[2] = { 1, NAN }, sd[2] = { 1, 1 };
    REFUSE(dn_model_set_scaling(m, mean, sd, &err), DN_EARG,
           "input 2: scaling mean or std is not finite");
    CHECK(dn_model_mean(m) == NULL, "a refused scaling was kept");
    const float tm[1] = { INFINITY }, ts[1] = { 1 };
    REFUSE(dn_model_set_target_scaling(m, tm, ts, &err), DN_EARG,
           "output 1: target mean or std is not finite");
    CHECK(dn_model_target_mean(m) == NULL, "a refused target scaling was kept");
    float X[6] = { 1, 2, 3, 4, 5, 6 }, Y[3] = { 1, 2, 3 };
    dn_data d = dn_data_view(3, 3, 1, X, Y);   /* 3 inputs, not 2 */
    REFUSE(dn_model_fit_scaling(m, &d, &err), DN_EARG, "cannot fit the input "
           "scaling: the data has 3 inputs and 3 rows, the model expects 2");
    d.d = 2; d.k = 2; d.n = 1;
    REFUSE(dn_model_fit_target_scaling(m, &d, &err), DN_EARG, "cannot fit the "
           "target scaling: the data has 2 targets, the model has 1 outputs");
    REFUSE(dn_model_meta_set(m, "", "v", &err), DN_EARG,
           "metadata needs a non-empty key and a value");
    REFUSE(dn_model_meta_set(m, "k", NULL, &err), DN_EARG, "metadata needs");
    dn_model_free(m);
    m = small_model(DN_TASK_MULTICLASS, 3);
    d.k = 1;
    REFUSE(dn_model_fit_target_scaling(m, &d, &err), DN_EARG,
           "target scaling is for regression (MSE) only");
    REFUSE(dn_model_set_target_scaling(m, tm, ts, &err), DN_EARG,
           "target scaling is for regression (MSE) only; class targets are not");
    dn_model_free(m);
}

CHECK_MAIN("test_refusals_model", dir,
           CHECK_CASE(arch_refusals), CHECK_CASE(model_refusals))
