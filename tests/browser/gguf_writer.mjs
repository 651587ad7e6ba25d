// A tiny GGUF writer for the browser tests (the JavaScript twin of tests/gguf_writer.h): header, metadata and
// tensor infos, then `dataBytes` of zero "tensor data", per the GGUF spec
// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md). Little-endian, version 3.

// ggml type ids and sizes (ggml/include/ggml.h enum ggml_type; block size, bytes per block from
// ggml/src/ggml.c type_traits): F32 1/4, Q8_0 32/34, Q4_K 256/144, Q6_K 256/210.
export const T = {
  F32: { id: 0, block: 1, size: 4 },
  Q8_0: { id: 8, block: 32, size: 34 },
  Q4_K: { id: 12, block: 256, size: 144 },
  Q6_K: { id: 14, block: 256, size: 210 },
};

const STRING = 8;
const ARRAY = 9;
const UINT32 = 4;
const INT32 = 5;

export class GgufWriter {
  constructor() {
    this.kv = [];
    this.ti = [];
    this.nKv = 0;
    this.nTensors = 0;
    this.offset = 0n;
  }

  static u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return b;
  }

  static u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return b;
  }

  static str(s) {
    const bytes = Buffer.from(s, 'utf8');
    return Buffer.concat([GgufWriter.u64(bytes.length), bytes]);
  }

  key(k, type) {
    this.kv.push(GgufWriter.str(k), GgufWriter.u32(type));
    this.nKv++;
    return this;
  }

  u32(k, v) {
    this.key(k, UINT32).kv.push(GgufWriter.u32(v));
    return this;
  }

  i32(k, v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.key(k, INT32).kv.push(b);
    return this;
  }

  str(k, v) {
    this.key(k, STRING).kv.push(GgufWriter.str(v));
    return this;
  }

  /** An array of strings (a tokenizer vocabulary makes a header of megabytes). */
  strs(k, values) {
    this.key(k, ARRAY).kv.push(GgufWriter.u32(STRING), GgufWriter.u64(values.length));
    for (const s of values) this.kv.push(GgufWriter.str(s));
    return this;
  }

  /** A tensor info; dims[0] is the row length. Offsets advance as a real writer's (32-byte aligned). */
  tensor(name, dims, type) {
    this.ti.push(GgufWriter.str(name), GgufWriter.u32(dims.length), ...dims.map((d) => GgufWriter.u64(d)),
      GgufWriter.u32(type.id), GgufWriter.u64(this.offset));
    const rows = dims.slice(1).reduce((a, b) => a * b, 1);
    const bytes = BigInt(Math.ceil(dims[0] / type.block) * type.size * rows);
    this.offset += ((bytes + 31n) / 32n) * 32n;
    this.nTensors++;
    return this;
  }

  bytes(dataBytes = 0) {
    return Buffer.concat([Buffer.from('GGUF'), GgufWriter.u32(3), GgufWriter.u64(this.nTensors), GgufWriter.u64(this.nKv),
      ...this.kv, ...this.ti, Buffer.alloc(dataBytes)]);
  }
}

/**
 * The tests' small llama-architecture model, as tests/gguf_test.cpp tiny_llama(): 2 layers, hidden 256,
 * 4 heads (2 KV), MLP 512, vocab 1000, Q4_K_M mix. `vocab` strings of `tokenBytes` each pad the header (a real
 * tokenizer array), `split` = [no, count] writes one part of a gguf-split file (part 0 holds the metadata,
 * token_embd and blk.0; part 1 blk.1 and the output).
 * Bytes by hand (tests/gguf_test.cpp): a layer 376,064; token_embd 144,000; output 210,000 + output_norm 1,024.
 */
export function tinyLlama({ name = 'tiny', vocab = 3, tokenBytes = 1, split = null, dataBytes = 4096 } = {}) {
  const w = new GgufWriter();
  if (split) w.u32('split.no', split[0]).u32('split.count', split[1]).i32('split.tensors.count', 21);
  if (!split || split[0] === 0) {
    w.str('general.architecture', 'llama').str('general.name', name).u32('general.file_type', 15);
    w.u32('llama.block_count', 2).u32('llama.embedding_length', 256).u32('llama.feed_forward_length', 512);
    w.u32('llama.attention.head_count', 4).u32('llama.context_length', 4096).u32('llama.attention.head_count_kv', 2);
    w.strs('tokenizer.ggml.tokens', Array.from({ length: vocab }, (_, i) => String(i).padStart(tokenBytes, 'x')));
  }
  const layer = (l) => {
    const b = `blk.${l}.`;
    w.tensor(`${b}attn_norm.weight`, [256], T.F32);
    w.tensor(`${b}attn_q.weight`, [256, 256], T.Q4_K);
    w.tensor(`${b}attn_k.weight`, [256, 128], T.Q4_K);
    w.tensor(`${b}attn_v.weight`, [256, 128], T.Q6_K);
    w.tensor(`${b}attn_output.weight`, [256, 256], T.Q4_K);
    w.tensor(`${b}ffn_norm.weight`, [256], T.F32);
    w.tensor(`${b}ffn_gate.weight`, [256, 512], T.Q4_K);
    w.tensor(`${b}ffn_up.weight`, [256, 512], T.Q4_K);
    w.tensor(`${b}ffn_down.weight`, [512, 256], T.Q6_K);
  };
  if (!split || split[0] === 0) {
    w.tensor('token_embd.weight', [256, 1000], T.Q4_K);
    layer(0);
  }
  if (!split) layer(1);
  if (!split || split[0] === 1) {
    if (split) layer(1);
    w.tensor('output_norm.weight', [256], T.F32);
    w.tensor('output.weight', [256, 1000], T.Q6_K);
  }
  return w.bytes(dataBytes);
}

export const TINY_LAYER = 376064;
export const TINY_EMBD = 144000;
export const TINY_OUTPUT = 210000 + 1024;
