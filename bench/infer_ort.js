// infer_ort.js MODEL.onnx ROWS.bin N D: ONNX Runtime's single-row latency
// and batch throughput on the rows, one thread (as the C code runs).
const fs = require("fs");
const path = require("path");
const ort = require(path.join(__dirname, "..", "tests", "ort", "node_modules", "onnxruntime-node"));

(async () => {
  const [model, rows, n, d] = process.argv.slice(2);
  const N = Number(n), D = Number(d);
  const buf = fs.readFileSync(rows);
  const X = new Float32Array(buf.buffer, buf.byteOffset, N * D);
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const one = [];
  for (let r = 0; r < N; r++) one.push(new ort.Tensor("float32", X.subarray(r * D, (r + 1) * D), [1, D]));
  let done = 0, t0 = process.hrtime.bigint(), t;
  do { for (const x of one) { await s.run({ input: x }); done++; } }
  while ((t = Number(process.hrtime.bigint() - t0) / 1e9) < 0.5);
  console.log("onnxruntime, one row\t" + (t / done * 1e6).toFixed(2) + " us");
  const all = new ort.Tensor("float32", X, [N, D]);
  let reps = 0; t0 = process.hrtime.bigint();
  do { await s.run({ input: all }); reps++; }
  while ((t = Number(process.hrtime.bigint() - t0) / 1e9) < 0.5);
  console.log("onnxruntime, batch of " + N + "\t" + (t / reps / N * 1e6).toFixed(2) + " us/row");
})().catch((e) => { console.error(String(e)); process.exit(1); });
