// run.js MODEL.onnx X.bin N D Y.bin: runs an ONNX model in ONNX Runtime
// (npm's onnxruntime-node, its CPU library) on N rows of D float32
// inputs and writes the float32 output tensor to Y.bin.  tests/onnx_check.py
// calls it when DESCENT_ORT is set (make test-deploy) and compares.
const fs = require("fs");
const path = require("path");
const ort = require(path.join(__dirname, "node_modules", "onnxruntime-node"));

(async () => {
  const [model, xfile, n, d, yfile] = process.argv.slice(2);
  const buf = fs.readFileSync(xfile);
  const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const session = await ort.InferenceSession.create(model);
  const input = new ort.Tensor("float32", x, [Number(n), Number(d)]);
  const { output } = await session.run({ input });
  fs.writeFileSync(yfile, Buffer.from(output.data.buffer, output.data.byteOffset,
                                      output.data.byteLength));
  console.log(output.dims.join("x"));
})().catch((e) => { console.error(String(e)); process.exit(1); });
