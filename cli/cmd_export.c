/* cmd_export.c — `descent export MODEL -o model.onnx`: the model as an
 * ONNX file for deployment runtimes (dn_model_export_onnx). */
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent export MODEL [-o OUT.onnx]\n"
"\n"
"Writes MODEL (a safetensors file from 'descent train') as an ONNX model\n"
"(IR version 7, opset 13) that onnxruntime, TensorRT, OpenVINO and other\n"
"runtimes run without descent.  The graph takes the raw encoded features\n"
"(text columns one-hot encoded, in the order the doc string lists) as\n"
"float32 input \"input\" [N, inputs]; the standardization, the layers and,\n"
"for regression, the target's scaling are all inside it.  Its output\n"
"\"output\" [N, outputs] is what 'descent predict' prints: the class\n"
"probabilities (binary: P(second class) alone) or the predicted values.\n"
"\n"
"  -o, --output OUT   where to write (default: MODEL with its extension\n"
"                     replaced by .onnx)\n"
"\n"
"examples:\n"
"  descent export iris.safetensors -o iris.onnx\n"
"  descent export house.safetensors          # writes house.onnx\n"
"  python3 -c 'import onnxruntime as ort, numpy as np; \\\n"
"    s = ort.InferenceSession(\"iris.onnx\"); \\\n"
"    print(s.run(None, {\"input\": np.array([[5.1, 3.5, 1.4, 0.2]], np.float32)}))'\n"
"(docs/export.md has more.)\n";

/* MODEL with the extension of its last path component replaced by
 * ".onnx" (added if it has none); NULL if out of memory. */
static char *default_out(const char *model)
{
    const char *base = strrchr(model, '/');
    base = base ? base + 1 : model;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - model) : strlen(model);
    char *out = malloc(n + 6);
    if (!out) return NULL;
    memcpy(out, model, n);
    memcpy(out + n, ".onnx", 6);
    return out;
}

int cmd_export(int argc, char **argv)
{
    cli_args a;
    cli_args_init(&a, "export", argc, argv);
    const char *o, *p, *model = NULL, *out = NULL;
    while (cli_next(&a, &o, &p)) {
        if (p && !model) model = p;
        else if (p) return cli_usage("export", "unexpected argument '%s'", p);
        else if (!strcmp(o, "h") || !strcmp(o, "help")) {
            fputs(help, stdout);
            return EXIT_OK;
        } else if (!strcmp(o, "o") || !strcmp(o, "output")) {
            if (!(out = cli_value(&a))) return EXIT_USAGE;
        } else {
            return cli_usage("export", "unknown option '%s'", argv[a.i - 1]);
        }
    }
    if (!model)
        return cli_usage("export", "needs a MODEL file, e.g. 'descent export "
                         "model.safetensors -o model.onnx'");
    char *dflt = out ? NULL : default_out(model);
    if (!out && !dflt) {
        fprintf(stderr, "descent export: out of memory\n");
        return EXIT_DATA;
    }
    if (!out) out = dflt;
    int rc = EXIT_OK;
    dn_model *m = NULL;
    dn_error err;
    cli_file f[] = { { "model", model, 0, NULL }, { "-o", out, 1, "ONNX model" } };
    if ((rc = cli_files_check("export", f, 2))) {
        /* said */
    } else if (dn_model_load(model, &m, &err) ||
               dn_model_export_onnx(m, out, &err)) {
        rc = cli_error("export", &err);
    } else {
        const dn_arch *A = dn_model_arch(m);
        const char *what = A->loss == DN_LOSS_CE ? "class probabilities"
                         : A->loss == DN_LOSS_BCE ? "P(second class)"
                         : "predicted values";
        printf("wrote %s: ONNX IR 7, opset 13; \"input\" [N, %d] -> "
               "\"output\" [N, %d] %s\n", out, A->n_in, dn_model_n_out(m),
               what);
    }
    dn_model_free(m);
    free(dflt);
    return rc;
}
