/* test_modelfile_malformed.c — malformed and hostile model files, each
 * of which must fail with a message naming the problem and the file. */
#include "modelfile.h"

/* ------------------------------------------------------------------ */
/* Malformed files                                                     */
/* ------------------------------------------------------------------ */

static void expect_fail_at(int line, const char *path, dn_status code,
                           const char *needle)
{
    dn_model *m = (dn_model *)1;
    dn_error err;
    err.msg[0] = 0;
    dn_status st = dn_model_load(path, &m, &err);
    if (st == code && m == NULL && strstr(err.msg, needle) &&
        strstr(err.msg, path))
        check_passed++;
    else {
        check_failed++;
        fprintf(stderr, "FAIL line %d: want %s with \"%s\", got %s: %s\n",
                line, dn_status_name(code), needle, dn_status_name(st),
                err.msg);
    }
    if (st == DN_OK && m && m != (dn_model *)1) dn_model_free(m);
}
#define EXPECT_FAIL(p, c, s) expect_fail_at(__LINE__, p, c, s)

/* Writes a safetensors file: length, header, data. */
static const char *st_file(const char *header, const void *data, size_t n)
{
    const char *path = tmp_path("bad.safetensors");
    size_t h = strlen(header);
    unsigned char *b = malloc(8 + h + n + 1);
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (n) memcpy(b + 8 + h, data, n);
    write_bytes(path, b, 8 + h + n);
    free(b);
    return path;
}

/* A model of 2 inputs and one identity unit: 0.weight [1,2], 0.bias [1]. */
#define ARCH(n_in, layers, loss) \
    "\"descent.arch\":\"{\\\"n_in\\\":" #n_in ",\\\"layers\\\":[" layers \
    "],\\\"loss\\\":\\\"" loss "\\\"}\""
#define LAYER(u, act) "{\\\"units\\\":" #u ",\\\"act\\\":\\\"" act "\\\"}"
#define META_V(v, arch) "\"__metadata__\":{\"format\":\"descent\"," \
    "\"descent.version\":\"" v "\"," arch
#define META(arch) META_V("1", arch)
#define SMALL ARCH(2, LAYER(1, "identity"), "mse")
#define T(name, shape, b, e) ",\"" name "\":{\"dtype\":\"F32\",\"shape\":" \
    shape ",\"data_offsets\":[" #b "," #e "]}"
#define W_B T("0.weight", "[1,2]", 0, 8) T("0.bias", "[1]", 8, 12)

/* Enough floats for every file below; the first three are the small
 * model's. */
static const float DATA[16] = { 0.5f, -2.0f, 0.25f };

static void test_malformed(void)
{
    EXPECT_FAIL(tmp_path("missing.safetensors"), DN_EIO, "No such file");
    EXPECT_FAIL(dir, DN_EIO, "not a regular file");
    const char *p = tmp_path("bad.safetensors");
    write_bytes(p, "", 0);
    EXPECT_FAIL(p, DN_EFORMAT, "only 0 bytes");
    write_bytes(p, "\x10\0\0\0\0\0\0", 7);
    EXPECT_FAIL(p, DN_EFORMAT, "only 7 bytes");
    write_bytes(p, "\x64\0\0\0\0\0\0\0{}", 10);
    EXPECT_FAIL(p, DN_EFORMAT, "header length 100 is larger than the 2");
    write_bytes(p, "\0\0\0\0\0\0\0\x80{}", 10);
    EXPECT_FAIL(p, DN_EFORMAT, "header length 9223372036854775808");
    write_bytes(p, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    EXPECT_FAIL(p, DN_EFORMAT, "is larger than");

    /* The reference file loads, so each failure below is its own. */
    dn_model *m = NULL;
    dn_error err;
    p = st_file("{" META(SMALL) "}" W_B "}", DATA, 12);
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m &&
          dn_model_W(m, 0)[1] == -2.0f && dn_model_b(m, 0)[0] == 0.25f,
          "reference file: %s", err.msg);
    dn_model_free(m);

    /* Any tensor order (PyTorch's safetensors sorts by name), a newer
     * minor version, and user metadata load. */
    p = st_file("{" META_V("1.3", SMALL) ",\"who\":\"me\"}"
                T("0.bias", "[1]", 0, 4) T("0.weight", "[1,2]", 4, 12) "}",
                DATA, 12);
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m &&
          dn_model_b(m, 0)[0] == 0.5f && dn_model_W(m, 0)[0] == -2.0f &&
          dn_model_W(m, 0)[1] == 0.25f && dn_model_meta_count(m) == 1 &&
          !strcmp(dn_model_meta_get(m, "who"), "me"),
          "reordered file: %s", err.msg);
    dn_model_free(m);

    EXPECT_FAIL(st_file("{not json}", NULL, 0), DN_EFORMAT,
                "header is not valid JSON");
    EXPECT_FAIL(st_file("", NULL, 0), DN_EFORMAT, "not valid JSON");
    EXPECT_FAIL(st_file("[1,2]", NULL, 0), DN_EFORMAT,
                "header is an array, not a JSON object");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}}", DATA, 12), DN_EFORMAT,
                "unexpected text after the JSON value");
    EXPECT_FAIL(st_file("{\"x\":1" W_B "}", DATA, 12), DN_EFORMAT,
                "safetensors file, but not a descent model");
    EXPECT_FAIL(st_file("{\"x\":1}", NULL, 0), DN_EFORMAT,
                "not a descent model file");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"pt\"}" W_B "}",
                        DATA, 12), DN_EFORMAT, "\"format\": \"pt\"");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\"}}", NULL,
                        0), DN_EFORMAT, "no \"descent.version\"");
    EXPECT_FAIL(st_file("{" META_V("2", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "newer descent");
    EXPECT_FAIL(st_file("{" META_V("x1", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'x1' is not a format version");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\","
                        "\"n\":3}}", NULL, 0), DN_EFORMAT,
                "entry 'n' is a number");
    EXPECT_FAIL(st_file("{\"__metadata__\":{\"format\":\"descent\","
                        "\"descent.version\":\"1\"}" W_B "}", DATA, 12),
                DN_EFORMAT, "no \"descent.arch\"");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 4)
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensor '0.weight' has 2 elements, which take 8 bytes");
    /* dtype F16: 2 bytes per element */
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F16\","
                        "\"shape\":[1,2],\"data_offsets\":[0,4]}"
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensor '0.weight' has dtype F16");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight",
                        "[4294967296,4294967296]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "shape [4294967296, 4294967296], more than the limit");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,-2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "shape entries must be non-negative");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 11), DN_EFORMAT,
                "tensor '0.bias' has data_offsets [8, 12] outside the 11");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 8, 99999999999999999999) "}",
                        DATA, 12), DN_EFORMAT, "integer out of range");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 4, 8) "}", DATA, 8), DN_EFORMAT,
                "tensors '0.weight' and '0.bias' overlap");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        T("0.bias", "[1]", 12, 16) "}", DATA, 16), DN_EFORMAT,
                "bytes 8 to 12 of the data belong to no tensor");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}", DATA, 16), DN_EFORMAT,
                "the last 4 bytes of the file belong to no tensor");
    EXPECT_FAIL(st_file("{" META(ARCH(3, LAYER(1, "identity"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [1, 2] but the architecture "
                "needs [1, 3]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8) "}",
                        DATA, 8), DN_EFORMAT, "tensor '0.bias' is missing");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B T("1.weight", "[1]", 12, 16)
                        "}", DATA, 16), DN_EFORMAT,
                "unexpected tensor '1.weight'");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B T("00.bias", "[0]", 12, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "unexpected tensor '00.bias'");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B ",\"0.bias2\":[]}", DATA, 12),
                DN_EFORMAT, "tensor '0.bias2' is an array");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],"
                        "\"data_offsets\":[8,12],\"x\":1}}", DATA, 12),
                DN_EFORMAT, "tensor '0.bias' has an unknown field 'x'");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(2, "softmax") ","
                        LAYER(2, "softmax"), "ce")) "}"
                        T("0.weight", "[2,2]", 0, 16)
                        T("0.bias", "[2]", 16, 24)
                        T("2.weight", "[2,2]", 24, 40)
                        T("2.bias", "[2]", 40, 48) "}", DATA, 48), DN_EFORMAT,
                "softmax belongs on the output layer only");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "swish"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "unknown activation 'swish'");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "sigmoid"), "ce")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "loss ce needs a softmax output");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(0, "identity"), "mse")) "}"
                        W_B "}", DATA, 12), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "identity"), "mse\\\","
                        "\\\"dropout\\\":\\\"0.5")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "unknown field 'dropout'");
    EXPECT_FAIL(st_file("{" META("\"descent.arch\":\"[1]\"") "}" W_B "}",
                        DATA, 12), DN_EFORMAT,
                "descent.arch: is an array, not a JSON object");

    /* Each field of the architecture missing, of the wrong type, null or
     * out of range. */
#define ARCHED(a) st_file("{" META("\"descent.arch\":\"{" a "}\"") "}" W_B \
                          "}", DATA, 12)
#define NIN "\\\"n_in\\\":2,"
#define MSE ",\\\"loss\\\":\\\"mse\\\""
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"act\\\":\\\"identity\\\"}]"
                       MSE), DN_EFORMAT, "layer 1 has no 'units'");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1.5,\\\"act\\\":"
                       "\\\"identity\\\"}]" MSE), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":\\\"1\\\","
                       "\\\"act\\\":\\\"identity\\\"}]" MSE), DN_EFORMAT,
                "'units' in layer 1 must be an integer from 1");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1}]" MSE),
                DN_EFORMAT, "layer 1 has no 'act'");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":"
                       "null}]" MSE), DN_EFORMAT, "layer 1: 'act' is null");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":3}]"
                       MSE), DN_EFORMAT,
                "'act' in layer 1 is a number, not a string");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[{\\\"units\\\":1,\\\"act\\\":"
                       "\\\"identity\\\",\\\"alpha\\\":1e300}]" MSE),
                DN_EFORMAT, "layer 1: alpha is out of float32 range");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[1]" MSE), DN_EFORMAT,
                "layer 1 is a number, not an object");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[]" MSE), DN_EFORMAT,
                "0 layers; a network has 1 to");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":{}" MSE), DN_EFORMAT,
                "'layers' in the architecture is an object, not an array");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[" LAYER(1, "identity") "],"
                       "\\\"loss\\\":null"), DN_EFORMAT, "'loss' is null");
    EXPECT_FAIL(ARCHED(NIN "\\\"layers\\\":[" LAYER(1, "identity") "]"),
                DN_EFORMAT, "the architecture has no 'loss'");
    EXPECT_FAIL(ARCHED("\\\"layers\\\":[" LAYER(1, "identity") "]" MSE),
                DN_EFORMAT, "the architecture has no 'n_in'");
    EXPECT_FAIL(ARCHED("\\\"n_in\\\":0,\\\"layers\\\":[" LAYER(1, "identity")
                       "]" MSE), DN_EFORMAT,
                "'n_in' in the architecture must be an integer from 1");
    /* Tensor entries: each field missing or mistyped, a rank-3 shape. */
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"shape\":[1,2],"
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has no \"dtype\" string");
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F32\","
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has no \"shape\" list");
    EXPECT_FAIL(st_file("{" META(SMALL) "},\"0.weight\":{\"dtype\":\"F32\","
                        "\"shape\":[1,2]}" T("0.bias", "[1]", 8, 12)
                        "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' needs \"data_offsets\": [begin, end]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2]", 0, 8)
                        ",\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],"
                        "\"data_offsets\":[8,-12]}}", DATA, 12), DN_EFORMAT,
                "tensor '0.bias' needs \"data_offsets\": [begin, end]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2,1]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [1, 2, 1] but the architecture "
                "needs [1, 2]");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[2]", 0, 8)
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12), DN_EFORMAT,
                "tensor '0.weight' has shape [2] but the architecture needs "
                "[1, 2]");
    /* names that are no tensor of a one-layer identity network: a slope
     * of a layer that is not PReLU, a misspelt kind, no number, no dot */
    static const char *const odd[] = { "1.weight", "1.bias", "0.weights",
                                       "x.bias", "0bias" };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        char h[1024], want[64];
        snprintf(h, sizeof h, "{" META(SMALL) "}" W_B T("%s", "[0]", 12, 12)
                 "}", odd[i]);
        snprintf(want, sizeof want, "unexpected tensor '%s'", odd[i]);
        EXPECT_FAIL(st_file(h, DATA, 12), DN_EFORMAT, want);
    }
    /* a PReLU layer's slope is tensor 1.weight, never 1.bias */
#define PRELU_ARCH ARCH(2, LAYER(1, "prelu"), "mse")
    EXPECT_FAIL(st_file("{" META(PRELU_ARCH) "}" W_B T("1.bias", "[1]", 12,
                        16) "}", DATA, 16), DN_EFORMAT,
                "unexpected tensor '1.bias'");
    EXPECT_FAIL(st_file("{" META(PRELU_ARCH) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "tensor '1.weight' is missing (the architecture's "
                "layer 1 needs it)");
    /* Version strings: empty and a bare major of 0. */
    EXPECT_FAIL(st_file("{" META_V("", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'' is not a format version");
    EXPECT_FAIL(st_file("{" META_V("0.9", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'0.9' is not a format version");
    EXPECT_FAIL(st_file("{" META_V("1x", SMALL) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'1x' is not a format version");

    /* Scaling: NaN is not JSON; huge values are not float32; the length
     * must be n_in; std must be positive. */
#define SCALED(s) st_file("{" META(SMALL) ",\"descent.scaling\":\"" s "\"}" \
                          W_B "}", DATA, 12)
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[NaN,0],\\\"std\\\":[1,1]}"), DN_EFORMAT,
                "descent.scaling: not valid JSON: unexpected character 'N'");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[1e999,0],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "number out of range");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[1e300,0],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "mean[0] is not a finite float32");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0],\\\"std\\\":[1,1]}"), DN_EFORMAT,
                "'mean' has 1 entries; the architecture has 2");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0,0],\\\"std\\\":[1,0]}"), DN_EFORMAT,
                "std[1] is 0");
    EXPECT_FAIL(SCALED("{\\\"mean\\\":[0,\\\"a\\\"],\\\"std\\\":[1,1]}"),
                DN_EFORMAT, "mean[1] is not a finite");
    EXPECT_FAIL(st_file("{" META(SMALL) ",\"descent.target_scaling\":"
                        "\"{\\\"mean\\\":[0,0],\\\"std\\\":[1,1]}\"}" W_B "}",
                        DATA, 12), DN_EFORMAT,
                "'mean' has 2 entries; the architecture has 1 outputs");
    EXPECT_FAIL(st_file("{" META(ARCH(2, LAYER(1, "sigmoid"), "bce"))
                        ",\"descent.target_scaling\":\"{\\\"mean\\\":[0],"
                        "\\\"std\\\":[1]}\"}" W_B "}", DATA, 12), DN_EFORMAT,
                "target scaling belongs to regression (mse) models; this "
                "model's loss is bce");
    p = SCALED("{\\\"mean\\\":[0.5,-1],\\\"std\\\":[2,4]}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_std(m)[1] == 4,
          "scaled reference: %s", err.msg);
    dn_model_free(m);

    /* Schema consistency against the architecture. */
#define SCHEMA(s) st_file("{" META(SMALL) ",\"descent.schema\":\"" s "\"}" \
                          W_B "}", DATA, 12)
#define COLS "\\\"columns\\\":[{\\\"name\\\":\\\"a\\\"},{\\\"name\\\":" \
             "\\\"b\\\"}]"
    p = SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\"}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_schema(m) &&
          !strcmp(dn_model_schema(m)->col[1].name, "b"),
          "schema reference: %s", err.msg);
    dn_model_free(m);
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":3," COLS ",\\\"task\\\":"
                       "\\\"regression\\\"}"), DN_EFORMAT,
                "the schema encodes 3 inputs but the architecture has 2");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"c\\\",\\\"categories\\\":[\\\"x\\\",\\\"y\\\","
                       "\\\"z\\\"]}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "the columns encode 3 inputs");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\"]}"), DN_EFORMAT,
                "a binary task needs 2 classes");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                       "class\\\",\\\"classes\\\":[\\\"a\\\",\\\"b\\\"]}"),
                DN_EFORMAT, "one output unit per class");
    /* tampered: a binary schema on an identity output with MSE, a
     * multiclass one on 3 of them (before: loaded, and predict printed
     * class names over regression values) */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\",\\\"b\\\"]}"), DN_EFORMAT,
                "a binary task needs a sigmoid output unit, the network's "
                "output is identity with the mse loss");
#define SCHEMA3(s) st_file("{" META(ARCH(2, LAYER(3, "identity"), "mse")) \
    ",\"descent.schema\":\"" s "\"}" T("0.weight", "[3,2]", 0, 24) \
    T("0.bias", "[3]", 24, 36) "}", DATA, 36)
    p = SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\"}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m, "3 outputs: %s", err.msg);
    dn_model_free(m);
    EXPECT_FAIL(SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                        "class\\\",\\\"classes\\\":[\\\"a\\\",\\\"b\\\",\\\"c\\\"]}"),
                DN_EFORMAT, "a multiclass task needs a softmax output with "
                "the ce loss, the network's output is identity with the mse "
                "loss");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS "}"), DN_EFORMAT,
                "the schema has no 'task'");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression"
                       "\\\",\\\"img_rows\\\":3,\\\"img_cols\\\":3}"),
                DN_EFORMAT, "images of 3 x 3 pixels do not make 2 inputs");

    /* Schema fields and columns: each wrong type, null or out of range. */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"indicator\\\":1},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "'indicator' in column 1 is a number, not true "
                "or false");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"fill\\\":1e300},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "column 1: fill is out of float32 range");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[{\\\"name\\\":"
                       "\\\"a\\\",\\\"fill\\\":\\\"x\\\"},{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "'fill' in column 1 is a string, not a number");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[3,{\\\"name\\\":"
                       "\\\"b\\\"}],\\\"task\\\":\\\"regression\\\"}"),
                DN_EFORMAT, "column 1 is a number, not an object");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":null}"),
                DN_EFORMAT, "'task' is null");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"ranking"
                       "\\\"}"), DN_EFORMAT, "ranking");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"binary\\\","
                       "\\\"classes\\\":[\\\"a\\\",7]}"), DN_EFORMAT,
                "classes[1] is a number, not a string");
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression"
                       "\\\",\\\"img_rows\\\":0}"), DN_EFORMAT,
                "'img_rows' in the schema must be an integer from 1");
    /* a schema with a null target and null class names loads, the
     * names missing */
    p = SCHEMA("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"regression\\\","
               "\\\"target\\\":null}");
    m = NULL;
    CHECK(dn_model_load(p, &m, &err) == DN_OK && m && dn_model_schema(m) &&
          dn_model_schema(m)->target == NULL, "null target: %s", err.msg);
    dn_model_free(m);

    /* Parameters must be finite. */
    float nan_data[3] = { 1, NAN, 0 };
    EXPECT_FAIL(st_file("{" META(SMALL) "}" W_B "}", nan_data, 12),
                DN_EFORMAT, "tensor '0.weight' holds a non-finite value");
}

/* More hostile headers: each field of the wrong JSON type, every kind of
 * value named in the message, and the limits of the format. */
static void test_hostile_headers(void)
{
#define ARCH_RAW(a) "\"descent.arch\":\"" a "\""
    EXPECT_FAIL(st_file("{\"__metadata__\":\"descent\"" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is a string, not an object of strings");
    EXPECT_FAIL(st_file("{\"__metadata__\":null" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is null, not an object");
    EXPECT_FAIL(st_file("{\"__metadata__\":true" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is a boolean, not an object");
    EXPECT_FAIL(st_file("{\"__metadata__\":[]" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ is an array, not an object");
    EXPECT_FAIL(st_file("{" META(SMALL) ",\"\":\"v\"}" W_B "}", DATA, 12),
                DN_EFORMAT, "__metadata__ has an empty key");
    EXPECT_FAIL(st_file("{" META(ARCH_RAW("{\\\"n_in\\\":2,\\\"layers\\\":["
                        LAYER(1, "identity") "]}")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "the architecture has no 'loss'");
    EXPECT_FAIL(st_file("{" META(ARCH_RAW("{\\\"n_in\\\":2,\\\"layers\\\":{},"
                        "\\\"loss\\\":\\\"mse\\\"}")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "'layers' in the architecture is an object, not an array");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "", "mse")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "0 layers; a network has 1 to 64");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "7", "mse")) "}" W_B "}", DATA, 12),
                DN_EFORMAT, "layer 1 is a number, not an object");
    EXPECT_FAIL(st_file("{" META(ARCH(2, "{\\\"units\\\":1,\\\"act\\\":"
                        "\\\"prelu\\\",\\\"alpha\\\":1e39}", "mse")) "}" W_B "}",
                        DATA, 12),
                DN_EFORMAT, "layer 1: alpha is out of float32 range");
    /* tensors */
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":\"F32\","
                        "\"data_offsets\":[0,8]}" T("0.bias", "[1]", 8, 12) "}",
                        DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has no \"shape\" list");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" T("0.weight", "[1,2,1,1,1,1,1,1,1]",
                        0, 8) T("0.bias", "[1]", 8, 12) "}", DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has 9 dimensions");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":\"F32\","
                        "\"shape\":[1,2]}" T("0.bias", "[1]", 8, 12) "}",
                        DATA, 12),
                DN_EFORMAT, "tensor '0.weight' needs \"data_offsets\"");
    EXPECT_FAIL(st_file("{" META(SMALL) "}" ",\"0.weight\":{\"dtype\":7,"
                        "\"shape\":[1,2],\"data_offsets\":[0,8]}"
                        T("0.bias", "[1]", 8, 12) "}", DATA, 12),
                DN_EFORMAT, "tensor '0.weight' has no \"dtype\" string");
    /* the schema's columns and classes */
    EXPECT_FAIL(SCHEMA("{\\\"n_in\\\":2,\\\"columns\\\":[1,2],\\\"task\\\":"
                       "\\\"regression\\\"}"), DN_EFORMAT,
                "column 1 is a number, not an object");
    EXPECT_FAIL(SCHEMA3("{\\\"n_in\\\":2," COLS ",\\\"task\\\":\\\"multi"
                        "class\\\",\\\"classes\\\":[\\\"a\\\",{},\\\"c\\\"]}"),
                DN_EFORMAT, "classes[1] is an object, not a string");
    /* a header length past the format's 100 MB, in a (sparse) file
     * long enough to hold it */
    const char *p = tmp_path("huge.safetensors");
    FILE *f = fopen(p, "wb");
    unsigned char len8[8] = { 0x01, 0xe1, 0xf5, 0x05 };   /* 100,000,001 */
    CHECK(f && fwrite(len8, 1, 8, f) == 8 && fseek(f, 100000100L, SEEK_SET) == 0 &&
          fputc(0, f) == 0 && fclose(f) == 0, "cannot write %s", p);
    EXPECT_FAIL(p, DN_EFORMAT, "the header length 100000001 exceeds the "
                "safetensors limit of");
    remove(p);
    /* the calls themselves */
    dn_model *m = (dn_model *)1;
    dn_error err;
    CHECK(dn_model_load(NULL, &m, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_load needs a file name"), "%s", err.msg);
    CHECK(dn_model_save(NULL, p, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_save needs a model and a"), "%s", err.msg);
    CHECK(dn_model_check_save(NULL, p, &err) == DN_EARG &&
          strstr(err.msg, "dn_model_check_save needs a model and"), "%s", err.msg);
}

CHECK_MAIN("test_modelfile_malformed", dir,
           CHECK_CASE(test_malformed), CHECK_CASE(test_hostile_headers))
