/* test_refusals_data.c — data refused, each with its exact message:
 * rows that do not fit a model or a loss, training options, data sets
 * and workspaces. */
#include "refusals.h"

/* ---- data that does not fit, training options ---- */

static void data_refusals(void)
{
    dn_model *m = small_model(DN_TASK_MULTICLASS, 3);
    float X[4] = { 0, 1, 2, 3 }, Y[2] = { 0, 2 };
    dn_data d = dn_data_view(2, 2, 1, X, Y);
    dn_metrics mt;
    CHECK(dn_evaluate(m, &d, &mt, &err) == DN_OK && mt.n == 2, "%s", err.msg);
    dn_data e = d; e.n = 0;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "the evaluation data has no rows");
    e = d; e.X = NULL;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has no inputs (X is NULL)");
    e = d; e.d = 5;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has 5 inputs but the network takes 2");
    e = d; e.Y = NULL;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "data has no target column");
    e = d; e.k = 2; e.n = 1;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "data has 2 target columns but the ce output needs 1");
    float bad[2] = { 0, NAN };
    e = d; e.Y = bad;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "row 2 has a non-finite target");
    float cls[2] = { 3, 0 };
    e = d; e.Y = cls;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG,
           "row 1 has class 3 but the output has 3 classes (0..2)");
    dn_model_free(m);
    m = small_model(DN_TASK_BINARY, 1);
    float two[2] = { 1, 2 };
    e = d; e.Y = two;
    REFUSE(dn_evaluate(m, &e, &mt, &err), DN_EARG, "row 2 has target 2; binary "
           "cross-entropy needs targets in [0, 1]");

    /* every option dn_train checks, before anything is touched */
    float y01[2] = { 0, 1 };
    d.Y = y01;
    const float w0 = dn_model_params(m)[0];
    struct { int field; double v; const char *want; } cases[] = {
        { 0, -1, "epochs must be 0 or more, got -1" },
        { 1, -2, "batch size must be 1 or more (0 for the whole set), got -2" },
        { 2, NAN, "learning rate must be a finite number" },
        { 3, -1, "L2 strength lambda must be ≥ 0, got -1" },
        { 4, INFINITY, "gradient clip norm must be ≥ 0 (0 = off), got inf" },
        { 5, -1, "convergence needs tol ≥ 0 and tol_epochs ≥ 1, got -1 and 3" },
        { 6, 0, "convergence needs tol ≥ 0 and tol_epochs ≥ 1, got 0 and 0" },
        { 7, -1, "early stopping needs patience ≥ 0 and min_delta ≥ 0, got -1" },
        { 8, 5, "unknown monitor 5" },
        { 9, 0.5, "layer 3: dropout applies to hidden layers only (the network has 1)" },
        { 10, 1, "layer 1: dropout rate 1 must be in [0, 1)" },
        { 11, -1, "checkpoint intervals must be ≥ 0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dn_train_opts o;
        dn_train_defaults(&o);
        o.epochs = 2;
        switch (cases[i].field) {
        case 0: o.epochs = (int)cases[i].v; break;
        case 1: o.batch = (int)cases[i].v; break;
        case 2: o.eta = cases[i].v; break;
        case 3: o.l2 = cases[i].v; break;
        case 4: o.clip = cases[i].v; break;
        case 5: o.tol = cases[i].v; break;
        case 6: o.tol_epochs = 0; break;
        case 7: o.patience = (int)cases[i].v; break;
        case 8: o.monitor = (dn_monitor)cases[i].v; break;
        case 9: o.dropout[2] = (float)cases[i].v; break;
        case 10: o.dropout[0] = (float)cases[i].v; break;
        case 11: o.checkpoint_every = -1; break;
        }
        REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG, cases[i].want);
    }
    CHECK(dn_model_params(m)[0] == w0, "a refused run changed the weights");
    dn_model_free(m);
    m = small_model(DN_TASK_REGRESSION, 1);
    dn_train_opts o;
    dn_train_defaults(&o);
    o.monitor = DN_MONITOR_VAL_ACC;
    REFUSE(dn_train(m, &d, NULL, &o, NULL, &err), DN_EARG,
           "accuracy cannot be monitored for regression");
    dn_solver_conf c;
    dn_solver_defaults(&c, DN_SOLVER_LBFGS);
    c.kind = (dn_solver_kind)9;
    dn_train_defaults(&o);
    REFUSE(dn_train_full(m, &d, NULL, &c, &o, NULL, &err), DN_EARG,
           "solver kind 9 is unknown; use one of lbfgs, cg, lm, newton");
    dn_model_free(m);
}

/* ---- data sets, workspaces ---- */

static void data_set_refusals(void)
{
    dn_schema bad = { 0 };
    bad.n_cols = 2;          /* and no columns */
    dn_schema *copy = (dn_schema *)1;
    REFUSE(dn_schema_copy(&bad, &copy, &err), DN_EARG,
           "cannot copy an inconsistent schema (2 columns, 0 classes)");
    CHECK(copy == NULL, "a refused copy left *out set");
    float X[3] = { 1, 2, 3 }, Y[3] = { 0, 1, 5 };
    dn_data d = dn_data_view(3, 1, 1, X, Y);
    REFUSE(dn_data_set_task(&d, (dn_task)9, &err), DN_EARG, "unknown task 9");
    REFUSE(dn_data_set_task(&d, DN_TASK_BINARY, &err), DN_EARG,
           "the data set has no target column to read as binary");
    /* classes named by numbers read back as regression, but only when
     * every row's class is one of them */
    char *names[3] = { "10", "20", "30" };
    dn_schema s = { 0 };
    s.task = DN_TASK_MULTICLASS;
    s.n_classes = 3;
    s.classes = names;
    CHECK(dn_schema_copy(&s, &d.schema, &err) == DN_OK, "%s", err.msg);
    REFUSE(dn_data_set_task(&d, DN_TASK_REGRESSION, &err), DN_EARG,
           "row 3 has class 5, outside 0..2");
    CHECK(Y[0] == 0 && Y[1] == 1, "a refused task changed the targets");
    Y[2] = 2;
    CHECK(dn_data_set_task(&d, DN_TASK_REGRESSION, &err) == DN_OK &&
          Y[0] == 10 && Y[1] == 20 && Y[2] == 30 &&
          d.schema->task == DN_TASK_REGRESSION,
          "%s: %g %g %g", err.msg, Y[0], Y[1], Y[2]);
    dn_schema_free(d.schema);
    d.schema = NULL;

    dn_data *tr = (dn_data *)1, *va = (dn_data *)1;
    d.n = 1;
    REFUSE(dn_data_split(&d, 0.5, 1, &tr, &va, &err), DN_EARG,
           "cannot split a data set of 1 rows: a training and a validation "
           "part need 2 rows or more");
    CHECK(!tr && !va, "a refused split left its outputs set");
    d.n = 2;
    REFUSE(dn_data_split(&d, 0.9, 1, &tr, &va, &err), DN_EARG,
           "validation fraction 0.9 of 2 rows holds out all 2 and leaves the "
           "training part empty");

    dn_model *m = small_model(DN_TASK_REGRESSION, 1);
    dn_ws *ws = (dn_ws *)1;
    REFUSE(dn_ws_new(m, 0, 1, &ws, &err), DN_EARG,
           "batch size 0 is out of range (1..");
    CHECK(ws == NULL, "a refused workspace left *out set");
    CHECK(dn_ws_new(m, 7, 1, &ws, &err) == DN_OK && dn_ws_max_batch(ws) == 7,
          "%s", err.msg);
    dn_ws_free(ws);
    dn_model_free(m);
}

CHECK_MAIN("test_refusals_data", dir,
           CHECK_CASE(data_refusals), CHECK_CASE(data_set_refusals))
