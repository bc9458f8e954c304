/* cmd_export.c — `descent export MODEL -o model.onnx`: the model as an
 * ONNX file for deployment runtimes (dn_model_export_onnx), or with
 * --format c as C source (export_c.c). */
#include "cli.h"
#include "export_c.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
"usage: descent export MODEL [-o OUT.onnx]\n"
"       descent export MODEL --format c [-o OUT.h] [--name PREFIX]\n"
"                      [--quantize int8 --calibrate DATA] [--check DATA]\n"
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
"                     replaced by .onnx, or .h for --format c)\n"
"  --format F         onnx (default) or c; an OUT ending in .h or .c means c\n"
"\n"
"C source (--format c): one C99 file, also valid C++, needing only\n"
"<stdint.h> (and <math.h> for float): static const weights, no malloc, no\n"
"stdio, no writable globals, the input standardization and class names\n"
"inside, and one entry point int PREFIX_predict(const float *x, float\n"
"*out) that returns the arg-max class.  Its comment lists the inputs in\n"
"order, the outputs and the flash and RAM it needs.\n"
"  --name PREFIX      prefix of every name in the file (default\n"
"                     descent_model)\n"
"  --quantize int8    int8 weights and activations, int32 sums, fixed-point\n"
"                     requantization: the same bits on any machine\n"
"  --calibrate DATA   rows whose activation ranges set the int8 scales\n"
"                     (required with --quantize; --calibrate-labels FILE\n"
"                     for IDX images)\n"
"  --percentile P     ranges from the (100-P)th to the Pth percentile, e.g.\n"
"                     99.99 (default: min/max)\n"
"  --val-data DATA    measure int8 against float here (default: the\n"
"                     calibration data, if it has targets; --val-labels)\n"
"  --tolerance T      refuse (and write nothing) when int8 loses more than\n"
"                     T of accuracy (0.01 = 1 point) or of R2 (default 0.01)\n"
"  --check DATA       build the file with $CC (default cc), run it on DATA\n"
"                     and compare with descent's predict (float: within\n"
"                     1e-6; int8: bit for bit with the int8 model); exit 1\n"
"                     if it differs (--check-labels for IDX)\n"
"\n"
"examples:\n"
"  descent export iris.safetensors -o iris.onnx\n"
"  descent export house.safetensors          # writes house.onnx\n"
"  descent export digits.safetensors -o digits.h --check data/digits.csv\n"
"  descent export digits.safetensors -o digits8.h --quantize int8 \\\n"
"      --calibrate data/digits.csv --name digits\n"
"  python3 -c 'import onnxruntime as ort, numpy as np; \\\n"
"    s = ort.InferenceSession(\"iris.onnx\"); \\\n"
"    print(s.run(None, {\"input\": np.array([[5.1, 3.5, 1.4, 0.2]], np.float32)}))'\n"
"(docs/export.md has more.)\n";

/* MODEL with the extension of its last path component replaced by ext
 * (".onnx", ".h"; added if it has none); NULL if out of memory. */
static char *default_out(const char *model, const char *ext)
{
    const char *base = strrchr(model, '/');
    base = base ? base + 1 : model;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - model) : strlen(model);
    char *out = malloc(n + strlen(ext) + 1);
    if (!out) return NULL;
    memcpy(out, model, n);
    memcpy(out + n, ext, strlen(ext) + 1);
    return out;
}

/* 1 if path ends in suffix. */
static int ends(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcmp(path + n - k, suffix);
}

/* The command line, for the generated file's comment. */
static char *joined(int argc, char **argv)
{
    size_t n = sizeof "descent";
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    strcpy(s, "descent");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int cmd_export(int argc, char **argv)
{
    const char *o, *p, *model = NULL, *out = NULL, *format = NULL, *quant = NULL;
    export_c_args c = { .name = "descent_model", .tolerance = 0.01 };
    int c_only = 0;   /* an option that only --format c takes was given */
    cli_args a;
    cli_args_common(&a, "export", argc, argv, help, &out, &model, NULL);
    while (cli_next(&a, &o, &p)) {
        if (!strcmp(o, "format")) {
            if (!(format = cli_value(&a))) return EXIT_USAGE;
            if (strcmp(format, "onnx") && strcmp(format, "c"))
                return cli_usage("export", "--format '%s': use onnx or c",
                                 format);
        } else if (!strcmp(o, "quantize")) {
            if (!(quant = cli_value(&a))) return EXIT_USAGE;
            if (strcmp(quant, "int8"))
                return cli_usage("export", "--quantize '%s': the one "
                                 "quantization is int8", quant);
            c.int8 = c_only = 1;
        } else if (!strcmp(o, "percentile")) {
            if (!cli_double(&a, 0, 100, &c.percentile)) return EXIT_USAGE;
            c_only = 1;
        } else if (!strcmp(o, "tolerance")) {
            if (!cli_double(&a, 0, 1e9, &c.tolerance)) return EXIT_USAGE;
            c_only = 1;
        } else if (!strcmp(o, "name") || !strcmp(o, "calibrate") ||
                   !strcmp(o, "calibrate-labels") || !strcmp(o, "val-data") ||
                   !strcmp(o, "val-labels") || !strcmp(o, "check") ||
                   !strcmp(o, "check-labels")) {
            const char *v = cli_value(&a);
            if (!v) return EXIT_USAGE;
            const char **dst = !strcmp(o, "name") ? &c.name
                : !strcmp(o, "calibrate") ? &c.calib
                : !strcmp(o, "calibrate-labels") ? &c.calib_labels
                : !strcmp(o, "val-data") ? &c.val
                : !strcmp(o, "val-labels") ? &c.val_labels
                : !strcmp(o, "check") ? &c.check : &c.check_labels;
            *dst = v;
            c_only = 1;
        } else {
            return cli_usage("export", "unknown option '%s'", argv[a.i - 1]);
        }
    }
    if (a.exit >= 0) return a.exit;
    if (!model)
        return cli_usage("export", "needs a MODEL file, e.g. 'descent export "
                         "model.safetensors -o model.onnx'");
    const int is_c = format ? !strcmp(format, "c")
                   : out && (ends(out, ".h") || ends(out, ".c"));
    if (c_only && !is_c)
        return cli_usage("export", "--name, --quantize, --calibrate, "
                         "--check and their companions are for C source: add "
                         "--format c (int8 ONNX is not written)");
    if (c.int8 && !c.calib)
        return cli_usage("export", "--quantize int8 needs --calibrate DATA: "
                         "rows like the training data, whose activation "
                         "ranges set the int8 scales");
    if (!c.int8 && (c.calib || c.val || c.percentile > 0 ||
                    c.calib_labels || c.val_labels))
        return cli_usage("export", "--calibrate, --val-data and --percentile "
                         "are for --quantize int8");
    if (c.percentile > 0 && c.percentile < 50)
        return cli_usage("export", "--percentile %g: give a percentile from "
                         "50 to 100, such as 99.99", c.percentile);
    char *dflt = out ? NULL : default_out(model, is_c ? ".h" : ".onnx");
    if (!out && !dflt) {
        fprintf(stderr, "descent export: out of memory\n");
        return EXIT_DATA;
    }
    if (!out) out = dflt;
    int rc = EXIT_OK;
    dn_model *m = NULL;
    dn_error err;
    cli_file f[] = { { "model", model, 0, NULL },
                     { "-o", out, 1, is_c ? "C source" : "ONNX model" },
                     { "--calibrate", c.calib, 0, NULL },
                     { "--val-data", c.val, 0, NULL },
                     { "--check", c.check, 0, NULL } };
    char *cmd = is_c ? joined(argc, argv) : NULL;
    if ((rc = cli_files_check("export", f, 5))) {
        /* said */
    } else if (dn_model_load(model, &m, &err)) {
        rc = cli_error("export", &err);
    } else if (is_c) {
        c.out = out;
        c.command = cmd;
        rc = export_c(&c, m, model);
    } else if (dn_model_export_onnx(m, out, &err)) {
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
    free(cmd);
    return rc;
}
