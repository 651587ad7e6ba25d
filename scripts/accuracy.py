#!/usr/bin/env python3
"""The accuracy table: how far llmsizer's figures have been from measured numbers, per rule family.

Runs the core (build/llmsizer) on every measured case it is given and writes
  presets/accuracy.json                 the signed relative error distribution per rule family and envelope
  tests/reference/accuracy_cases.json   every case as a self-contained request + the measured value (the
                                        GoogleTest suite re-estimates them to check the bands' coverage)

Regenerate after any change that moves a number (from the checkout root, after building):
  python3 scripts/accuracy.py [--public ../shared/reference/validation-public.jsonl]
                              [--gpu-public ../shared/reference/validation-gpu-public.jsonl]
                              [--configs ../shared/reference/configs] [EXTRA.jsonl ...]
EXTRA files hold further measured rows in either of the two formats below (the project's own measurements,
e.g. under tests/reference/); each row is recognised by its keys.

Error of one case = estimate / measured - 1, on the figure the core reports (bytes, tokens, seconds), so
measured = estimate / (1 + error). Times: decode rows measured in tokens/s become seconds per token.

Row formats and how each maps to a request (the same mapping as ../shared/tools/fidelity.py and
fidelity_gpu.py, which score the same rows):
  validation-public.jsonl (`case_id`, `source_type`):
    vLLM start-up logs (vllm_startup_log_measured_sweep): "Model loading took X GiB" -> weights;
      "GPU KV cache size: N tokens" -> kv_tokens/vllm; "Maximum concurrency" -> concurrency/vllm;
      the profiler's torch peak increase -> activations/vllm.
    Qwen2.5 speed benchmark (official_benchmark_table, one GPU): transformers max_memory_allocated ->
      peak/transformers/sdpa (weights + KV + activations); generated tokens / wall time incl. prefill ->
      decode/<engine> (seconds per generated token, (TTFT + O x TPOT) / O, as a proxy for TPOT).
  validation-gpu-public.jsonl (`kind`; transformers 5.17 + torch 2.11 on one H200):
    generate -> peak/transformers/<sdpa|eager>; prefill -> prefill/transformers; decode -> decode/transformers
    (TPOT); train -> training_peak (total - other) and training_step (median step after the first).
Only the standard library; no network.
"""
import argparse, json, math, os, re, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared', 'reference')
if not os.path.isdir(SHARED):
    SHARED = '/work/shared/reference'
GIB = 2 ** 30

# ---------------------------------------------------------------------------------------------------------
# Families: what the core asks the table for (core/src/bands/bands.cpp kFamilies lists the same keys; the
# GoogleTest suite checks that every one is present). `kind` picks the default width and the widening steps;
# `axes` says which envelope axes apply: a figure that does not depend on the GPU architecture (bytes are
# bytes) is not widened for another GPU family, one with no engine-version input is not widened for a version.
# ---------------------------------------------------------------------------------------------------------
ENGINES = ['generic', 'vllm', 'sglang', 'transformers', 'llama.cpp']
FAMILIES = {'weights': dict(kind='memory', figure='memory.weights_bytes', axes=[])}
for e in ENGINES:
    FAMILIES[f'kv_tokens/{e}'] = dict(kind='memory', figure='serving.kv_cache_tokens', axes=['version'])
    FAMILIES[f'concurrency/{e}'] = dict(kind='memory', figure='serving.max_concurrency', axes=['version'])
    FAMILIES[f'activations/{e}'] = dict(kind='memory', figure='memory.activations_bytes', axes=['version'])
    FAMILIES[f'prefill/{e}'] = dict(kind='time', figure='speed.prefill_seconds', axes=['gpu', 'version'])
    # decode: TPOT; the Qwen2.5 benchmark rows measure generated tokens over the wall time including the
    # prefill, compared as (TTFT + O x TPOT) / O (their cells say measured_as "e2e_per_token").
    FAMILIES[f'decode/{e}'] = dict(kind='time', figure='speed.tpot_seconds', axes=['gpu', 'version'])
    for attn in ('sdpa', 'eager'):
        FAMILIES[f'peak/{e}/{attn}'] = dict(
            kind='memory', figure='memory.weights_bytes + memory.kv_cache_bytes + memory.activations_bytes',
            axes=['version'])
FAMILIES['training_peak'] = dict(kind='memory', figure='training.total_bytes - training.other_bytes', axes=[])
FAMILIES['training_step'] = dict(kind='time', figure='training.speed.seconds_per_step', axes=['gpu'])

# Engines that run decode without CUDA graphs (one Python/kernel launch per op per layer per step): their decode
# cells are host-bound measurements, so the core does not widen them again for a host-bound case.
HOST_BOUND_ENGINES = {'transformers'}

# ---------------------------------------------------------------------------------------------------------
# The band rules, written into the table so the core reads them as data (core/src/bands/bands.cpp applies them;
# README "How sure"). Everything is a factor on the ratio r = measured / estimate = 1 / (1 + error), worked in
# log space: a cell gives [L, H] = [-ln(1 + hi), -ln(1 + lo)] (its prediction bounds, prediction_bounds below)
# and the band is [estimate e^L, estimate e^H].
#  contains the estimate — [L, H] always includes 0: the band surrounds the number shown beside it (a cell
#    whose cases all erred one way says so through a one-sided band, not a band beside the estimate).
#  min_cases 5 — below five cases the 5th/95th percentiles are the extremes of a handful: such a cell gives
#    the default factor of its kind, or its cases' own range where that is wider.
#  default_factor — memory 1.10: no memory family of the public cases has a 5-95 % range wider than 14 %
#    (training peaks, -13.8 % .. +5.5 %), most are under 3 %; a memory rule never measured is assumed no
#    better than that. time 1.35: the decode cells measured on their calibration GPU (A100: vLLM 0.6,
#    transformers 4.46) span -17 % .. +25 %, and a speed rule never measured also carries an unknown per-step
#    overhead, a third of a batch-1 decode step in the vLLM 0.6 fit (2.01 of 11.87 ms).
#    A family with no cell at all gets the default factor and no further step (but a host-bound one).
#  min_factor — memory 1.02, time 1.10: a floor on each side. The cells hold few models (the 26 vLLM log
#    rows are 5 models, 16 of them Llama-3.1-8B), so a +-0.1 % spread says little about a model not among
#    them; the worst single model in those cells is off by 1.4 % (DeepSeek-V2-Lite KV tokens).
#  steps — each step outside a cell's envelope divides the low end and multiplies the high end by the step's
#    factor f ([L, H] -> [L - ln f, H + ln f]): the most the step itself was seen or can be argued to move the
#    figure. Steps add up (another GPU and another version: both factors).
#    gpu (another GPU architecture than the cell's; speed only): 1.2. On the public H200 rows the Hopper
#      efficiencies differ from the Ampere fit by up to a fifth: batch-1 weight streaming at 3.0-3.7 of
#      4.8 TB/s (0.62-0.78) against Ampere's 0.75, sdpa prefill GEMMs at ~0.50 of peak against 0.60
#      (docs/host-bound.md).
#    version (an engine minor version the family has no cell for): memory 1.05 — what one release changed:
#      vLLM V1 before 0.17 profiles its dummy sampler at ~38 bytes per logit against ~15 from 0.17 on
#      (../shared/reference/ENGINES.md), i.e. 1,024 seqs x 128,256 vocab x 23 B = 2.8 GiB less KV cache for
#      Llama-3.1-8B on an H100, 4.8 % of GT0648's 58.1 GiB; time 1.2 — vLLM V1 reworked the per-step CPU path
#      that is 17 % of a batch-1 decode step in the 0.6 fit.
#    host (decode or prefill of an engine run without CUDA graphs, when the cell was not measured so): 2.0 — a
#      host-bound step costs what the CPU takes to launch ~10-35 kernels per layer; on the one public H200 host
#      that cost ran at 0.65-0.85 ms per layer in short generations and 1.1-2.2 ms in longer ones, 2-3x for the
#      same model (docs/host-bound.md): x/÷ 2 around the middle of 0.65-2.2 ms (1.2) spans 0.6-2.4 ms.
# ---------------------------------------------------------------------------------------------------------
MIN_CASES = 5
RULES = {
    'min_cases': MIN_CASES,
    'default_factor': {'memory': 1.10, 'time': 1.35},
    'min_factor': {'memory': 1.02, 'time': 1.10},
    'step_factor': {
        'gpu': {'memory': 1.0, 'time': 1.2},
        'version': {'memory': 1.05, 'time': 1.2},
        'host': {'memory': 1.0, 'time': 2.0},
    },
}

# ---------------------------------------------------------------------------------------------------------
# Row mapping (facts taken from ../shared/tools/fidelity.py and fidelity_gpu.py)
# ---------------------------------------------------------------------------------------------------------
GPU_ARCH = [('H200', 'hopper'), ('H100', 'hopper'), ('H800', 'hopper'), ('A100', 'ampere'), ('A800', 'ampere'),
            ('4090', 'ada'), ('L40', 'ada'), ('3090', 'ampere')]


def arch_of(gpu_text):
    for key, arch in GPU_ARCH:
        if key in (gpu_text or ''):
            return arch
    return 'unknown'


def minor(version_text):
    m = re.search(r'(\d+)\.(\d+)', str(version_text or ''))
    return f'{m.group(1)}.{m.group(2)}' if m else 'unknown'


def vllm_dtype(r):
    q = (r.get('quantization') or '').lower()
    if 'fp8' in q or 'fbgemm' in q:
        return 'fp8'
    if 'w8a8' in q or ('compressed-tensors' in q and 'w8a8' in r['model_id'].lower()):
        return 'int8'
    if 'compressed-tensors' in q and 'fp8' in r['model_id'].lower():
        return 'fp8'
    if 'gptq_marlin' in q or 'w4a16' in q or 'awq' in q or '4-bit' in q:
        return 'int4'
    if 'gptq' in q and '8' in q:
        return 'int8'
    if 'mxfp4' in q:
        return None
    d = (r.get('dtype') or 'bfloat16').split()[0]
    return {'bfloat16': 'bf16', 'float16': 'fp16', 'float32': 'fp32', 'auto': 'bf16'}.get(d, 'bf16')


def qwen_quant(q):
    """(dtype flag or None, quantization_config or None) of a Qwen2.5 benchmark row's checkpoint."""
    q = (q or '').upper()
    if 'GPTQ' in q:  # the checkpoint's own config.json carries it, as a user pasting its link would send
        return None, {'quant_method': 'gptq', 'bits': 8 if '8' in q else 4, 'group_size': 128, 'desc_act': False,
                      'sym': True}
    if 'AWQ' in q:
        return None, {'quant_method': 'awq', 'bits': 4, 'group_size': 128, 'zero_point': True, 'version': 'gemm'}
    return {'BF16': 'bf16', 'FP8': 'fp8'}.get(q), None


class Cases:
    def __init__(self, configs_dir, config_map):
        self.configs_dir, self.config_map = configs_dir, config_map
        self.configs = {}  # name -> config object (the cases file stores each once)
        self.cases = []

    def config(self, file_name, quant=None):
        path = os.path.join(self.configs_dir, file_name)
        if not os.path.exists(path):
            return None
        name = file_name[:-5] if file_name.endswith('.json') else file_name
        if quant:
            name += f"+{quant['quant_method']}{quant['bits']}"
        if name not in self.configs:
            with open(path) as f:
                c = json.load(f)
            if quant:
                c['quantization_config'] = quant
            self.configs[name] = c
        return name

    def add(self, cid, source, family, extract, config, request, measured, arch, engine, version, detail):
        self.cases.append(dict(id=cid, source=source, family=family, extract=extract, config=config,
                               request=request, measured=measured, architecture=arch, engine=engine,
                               engine_version=version, detail=detail))

    # ---- validation-public.jsonl ----
    def public_row(self, r, source):
        m = self.config_map.get(r['model_id'])
        if not m:
            return
        st, cid = r['source_type'], r['case_id']
        arch, ver = arch_of(r.get('gpu')), minor(r.get('engine_version'))
        if st.startswith('vllm_') and r.get('engine', '').startswith('vllm') and 'benchmark' not in st:
            d = vllm_dtype(r)
            cfg = self.config(m['config_file'])
            if d is None or cfg is None:
                return
            G, U, L = r.get('gpu_total_memory_GiB'), r.get('gpu_memory_utilization'), r.get('max_model_len')
            kvd = 'fp8' if 'fp8' in str(r.get('kv_cache_dtype') or 'auto') else 'auto'
            base = dict(dtype=d, kv_dtype=kvd, tp=r.get('tensor_parallel_size') or 1,
                        pp=r.get('pipeline_parallel_size') or 1)
            detail = f"{r['model_id']} {d} tp{base['tp']} pp{base['pp']} L{L}"
            w = r.get('weights_GiB_per_gpu') or r.get('weights_GiB')
            if w:  # weights are engine-independent: the generic engine, as fidelity.py asks
                req = dict(base, **({'gpu_memory_gib': G} if G else {}))
                self.add(cid, source, 'weights', 'memory.weights_bytes', cfg, req, w * GIB, arch, 'vllm', ver, detail)
            if not (G and U and L and r.get('kv_cache_tokens')):
                return
            req = dict(base, engine='vllm', gpu_memory_gib=G, gpu_memory_utilization=U, max_model_len=L,
                       vllm_version=re.search(r'\d+\.\d+(?:\.\d+)?', r['engine_version']).group(0))
            if r.get('block_size'):
                req['block_size'] = r['block_size']
            self.add(cid, source, 'kv_tokens/vllm', 'serving.kv_cache_tokens', cfg, req, float(r['kv_cache_tokens']),
                     arch, 'vllm', ver, detail)
            if r.get('max_concurrency_at_max_model_len'):
                self.add(cid, source, 'concurrency/vllm', 'serving.max_concurrency', cfg, req,
                         float(r['max_concurrency_at_max_model_len']), arch, 'vllm', ver, detail)
            if r.get('activation_peak_GiB_per_gpu'):
                # the profiler's line is one rank's: the first pipeline stage's, as for the weights
                self.add(cid, source, 'activations/vllm', 'memory.per_gpu.0.activations_bytes', cfg, req,
                         r['activation_peak_GiB_per_gpu'] * GIB, arch, 'vllm', ver, detail)
        elif st == 'official_benchmark_table' and 'Qwen2.5' in r['source'] and (r.get('gpu_count') or 1) == 1:
            dflag, quant = qwen_quant(r.get('quantization'))
            if dflag is None and quant is None:
                return
            cfg = self.config(m['config_file'], quant)
            if cfg is None:
                return
            n_in, n_out = r['input_len_tokens'], r['output_len_tokens']
            vfull = re.search(r'\d+\.\d+(?:\.\d+)?', str(r.get('engine_version'))).group(0)
            base = dict(gpu='nvidia-a100-sxm4-80gb', batch=1, input_tokens=n_in, output_tokens=n_out,
                        **({'dtype': dflag} if dflag else {}))
            detail = f"{r['model_id']} {r.get('quantization')} {n_in}+{n_out}"
            eng = 'transformers' if r['engine'] == 'transformers' else 'vllm' if r['engine'].startswith('vllm') else None
            if eng == 'transformers':
                req = dict(base, engine='transformers', transformers_version=vfull)
                if r.get('peak_memory_GB_reported'):  # GiB, labelled GB (the harness divides by 1024^3)
                    self.add(cid, source, 'peak/transformers/sdpa', 'peak', cfg, req,
                             r['peak_memory_GB_reported'] * GIB, arch, eng, ver, detail)
            elif eng == 'vllm':
                req = dict(base, engine='vllm', gpu_memory_utilization=r.get('gpu_memory_utilization') or 0.9,
                           max_model_len=r.get('max_model_len') or 32768, vllm_version=vfull)
            else:
                return
            if r.get('throughput_tokens_per_s'):  # generated tokens / wall time incl. prefill
                self.add(cid, source, f'decode/{eng}', 'seconds_per_output_token', cfg, req,
                         1.0 / r['throughput_tokens_per_s'], arch, eng, ver, detail)

    # ---- validation-gpu-public.jsonl ----
    def gpu_rows(self, rows, source):
        params = {r['model']: r['params'] for r in rows if r.get('kind') == 'load' and 'params' in r}
        for i, r in enumerate(rows):
            k = r.get('kind')
            if 'error' in r or k not in ('generate', 'train', 'prefill', 'decode'):
                continue
            cfg = self.config(r['model'] + '.json')
            if cfg is None:
                continue
            cid = f'{os.path.basename(source)}:{i + 1}'
            arch, tver = arch_of(r.get('gpu')), minor(r.get('transformers'))
            vfull = re.search(r'\d+\.\d+', str(r.get('transformers'))).group(0)
            base = dict(gpu='nvidia-h200-sxm', transformers_version=vfull)
            if k == 'generate':
                # Truth: exact weights + the peak increase over the weights (allocator leftovers of earlier
                # cases in the same process do not count; fidelity_gpu.py).
                truth = params[r['model']] * 2 + r['peak_allocated_bytes'] - r['weights_allocated_bytes']
                req = dict(base, engine='transformers', dtype='bf16', batch=r['batch'], input_tokens=r['input_tokens'],
                           output_tokens=r['new_tokens'])
                attn = 'eager' if r['attn'] == 'eager' else 'sdpa'
                self.add(cid, source, f'peak/transformers/{attn}', 'peak', cfg, req, truth, arch, 'transformers', tver,
                         f"{r['model']} b{r['batch']} in{r['input_tokens']} {attn}")
            elif k == 'train':
                P, T, lora = r['params'], r['trainable_params'], r.get('lora')
                # peft keeps adapters in fp32 (autocast_adapter_dtype), the frozen base in bf16
                expect = (P - T) * 2 + T * 4 if lora else P * (4 if r['precision'] == 'mixed' else 2)
                truth = expect + r['peak_allocated_bytes'] - r['weights_allocated_bytes']
                req = dict(base, mode='lora' if lora else 'full', training_precision=r['precision'], dtype='bf16',
                           optimizer='adamw', micro_batch=r['micro_batch'], seq_len=r['seq_len'],
                           gradient_checkpointing='full' if r['gradient_checkpointing'] else 'none',
                           training_attention='eager' if r['attn'] == 'eager' else 'flash')
                if lora:
                    t = lora['targets']
                    req.update(lora_rank=lora['r'], lora_targets=t if isinstance(t, str) else ','.join(t))
                detail = (f"{r['model']} {'lora' if lora else 'full'} {r['precision']} mb{r['micro_batch']} "
                          f"s{r['seq_len']} gc{int(bool(r['gradient_checkpointing']))}")
                self.add(cid, source, 'training_peak', 'training_peak', cfg, req, truth, arch, 'transformers', tver,
                         detail)
                steps = r.get('step_seconds') or []
                if len(steps) >= 2:  # the first step pays for allocation and kernel selection
                    self.add(cid, source, 'training_step', 'training.speed.seconds_per_step', cfg, req,
                             statistics.median(steps[1:]), arch, 'transformers', tver, detail)
            elif k == 'prefill':
                req = dict(base, engine='transformers', dtype='bf16', batch=r['batch'], input_tokens=r['input_tokens'],
                           output_tokens=1)
                self.add(cid, source, 'prefill/transformers', 'speed.prefill_seconds', cfg, req, r['seconds'], arch,
                         'transformers', tver, f"{r['model']} b{r['batch']} in{r['input_tokens']}")
            elif k == 'decode':
                req = dict(base, engine='transformers', dtype='bf16', batch=1, input_tokens=r['input_tokens'],
                           output_tokens=128)
                self.add(cid, source, 'decode/transformers', 'speed.tpot_seconds', cfg, req,
                         1.0 / r['tokens_per_second'], arch, 'transformers', tver,
                         f"{r['model']} b1 in{r['input_tokens']}")


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def add_file(cases, path):
    rows = load_jsonl(path)
    source = os.path.basename(path)
    if any('kind' in r for r in rows):
        cases.gpu_rows(rows, source)
    for r in rows:
        if 'case_id' in r and 'source_type' in r:
            cases.public_row(r, source)


# ---------------------------------------------------------------------------------------------------------
# Estimating and summarising
# ---------------------------------------------------------------------------------------------------------
def get(d, path):
    for k in path.split('.'):
        if isinstance(d, list) and k.isdigit() and int(k) < len(d):
            d = d[int(k)]
        elif isinstance(d, dict) and k in d:
            d = d[k]
        else:
            return None
    return d


def extract(out, how, request):
    """The figure a case measures, from the core's response (tests/bands_test.cpp has the same switch)."""
    if how == 'peak':
        parts = [get(out, f'memory.{k}') for k in ('weights_bytes', 'kv_cache_bytes', 'activations_bytes')]
        return None if None in parts else float(sum(parts))
    if how == 'training_peak':
        t, o = get(out, 'training.total_bytes'), get(out, 'training.other_bytes')
        return None if t is None else float(t - (o or 0))
    if how == 'seconds_per_output_token':
        ttft, tpot = get(out, 'speed.ttft_seconds'), get(out, 'speed.tpot_seconds')
        n = request['output_tokens']
        return None if ttft is None or tpot is None else (ttft + n * tpot) / n
    v = get(out, how)
    return None if v is None else float(v)


def estimate(cli, request):
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(request, f)
        path = f.name
    try:
        p = subprocess.run([cli, '--request', path, '--json'], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        return None, (p.stderr or p.stdout)[:200]
    return (out, None) if out.get('ok') else (None, json.dumps(out.get('error'))[:200])


def outward_percentiles(errs):
    """(p5, p50, p95) by nearest rank taken outward: p5 = x[floor(0.05 (n-1))], p95 = x[ceil(0.95 (n-1))].
    Linear interpolation would put the 5-95 % band strictly inside the extremes even for 9 cases (7 of 9 = 78 %
    inside); outward ranks keep >= 90 % of a cell's own cases inside for every n (all of them below n = 21)."""
    x = sorted(errs)
    n = len(x)
    lo = x[int(math.floor(0.05 * (n - 1)))]
    hi = x[int(math.ceil(0.95 * (n - 1)))]
    return lo, statistics.median(x), hi


# Two-sided 90 % Student t quantiles t(0.95; df), df = 1..30 (any statistics table); beyond, the Cornish-Fisher
# expansion z + (z^3 + z) / (4 df) with z = 1.6449 is within 0.002.
T95 = [6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753,
       1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697]


def t95(df):
    z = 1.6449
    return T95[df - 1] if df <= len(T95) else z + (z ** 3 + z) / (4 * df)


def prediction_bounds(errs):
    """(lo, hi) errors a case NOT among `errs` is expected to lie between 90 % of the time.
    The 5th..95th percentiles of a cell describe its own cases; a new model, a rerun on another day, lands
    outside them more often than 10 % when the cell is small (the extremes of 9 cases hold a 10th only 8 times
    in 10: (n - 1) / (n + 1)). Two bounds, hulled, worked on ln(measured / estimate):
      distribution-free: the j-th smallest and largest of n with j = max(1, floor(0.05 (n + 1))) contain a new
        exchangeable case with probability (n + 1 - 2j) / (n + 1) (>= 90 % from n = 19; the extremes below);
      normal: mean +- t(0.95; n - 1) s sqrt(1 + 1/n), the prediction interval of one new draw — what carries
        a small cell beyond its extremes (n >= 3).
    Never inside the cell's own extremes: the band must hold every case it was built from (and the
    leave-one-out check in report() then scores exactly the rule the core applies)."""
    r = sorted(-math.log1p(e) for e in errs)
    n = len(r)
    j = max(1, int(math.floor(0.05 * (n + 1))))
    lo_r, hi_r = r[j - 1], r[n - j]
    if n >= 3:
        mu, sd = statistics.mean(r), statistics.stdev(r)
        k = t95(n - 1) * sd * math.sqrt(1 + 1 / n)
        lo_r, hi_r = min(lo_r, mu - k), max(hi_r, mu + k)
    lo_r, hi_r = min(lo_r, r[0]), max(hi_r, r[-1])
    # back to errors: the largest ln(measured / estimate) is the most negative error
    return math.expm1(-hi_r), math.expm1(-lo_r)


def floor6(v):
    return math.floor(v * 1e6) / 1e6


def ceil6(v):
    return math.ceil(v * 1e6) / 1e6


def dumps(j, indent=''):
    """JSON with one key per line, but lists of scalars (case ids, axes) on one line."""
    inner = indent + ' '
    if isinstance(j, dict):
        if not j:
            return '{}'
        return '{\n' + ',\n'.join(f'{inner}{json.dumps(k)}: {dumps(v, inner)}' for k, v in j.items()) + '\n' + indent + '}'
    if isinstance(j, list) and any(isinstance(x, (dict, list)) for x in j):
        return '[\n' + ',\n'.join(inner + dumps(x, inner) for x in j) + '\n' + indent + ']'
    return json.dumps(j)


def cell_log_band(lo, hi, lo_ext, hi_ext, enough, kind):
    """[L, H] of ln(measured / estimate) for a cell inside its envelope (core/src/bands/bands.cpp cell_band);
    lo, hi: the cell's prediction bounds (prediction_bounds)."""
    if enough:
        L, H = -math.log1p(hi), -math.log1p(lo)
    else:
        L, H = -math.log1p(hi_ext), -math.log1p(lo_ext)
        d = math.log(RULES['default_factor'][kind])
        L, H = min(L, -d), max(H, d)
    f = math.log(RULES['min_factor'][kind])
    return min(L, 0.0, -f), max(H, 0.0, f)


def report(table, cases, markdown):
    """Per family and cell: n, percentiles, in-sample coverage, leave-one-out coverage and median half-width."""
    by_cell = {}
    for c in cases:
        axes = FAMILIES[c['family']]['axes']
        key = (c['family'], c['architecture'] if 'gpu' in axes else 'any', c['engine_version'] if 'version' in axes else 'any')
        by_cell.setdefault(key, []).append(c)
    rows = []
    for name, fam in table['families'].items():
        kind = fam['kind']
        for cell in fam['cells']:
            cs = by_cell[(name, cell['architecture'], cell['engine_version'])]
            L, H = cell_log_band(cell['lo'], cell['hi'], cell['min'], cell['max'], cell['enough'], kind)
            inside = sum(L <= -math.log1p(c['error_value']) <= H for c in cs)
            half = (math.exp(H) - math.exp(L)) / 2  # relative to the estimate
            loo_in = loo_n = 0
            if cell['enough'] and len(cs) - 1 >= MIN_CASES:  # leave one out: the band without the case
                for i, c in enumerate(cs):
                    rest = [x['error_value'] for j, x in enumerate(cs) if j != i]
                    lo, hi = prediction_bounds(rest)
                    l2, h2 = cell_log_band(lo, hi, min(rest), max(rest), True, kind)
                    loo_in += l2 <= -math.log1p(c['error_value']) <= h2
                    loo_n += 1
            rows.append((name, cell, inside, len(cs), loo_in, loo_n, math.exp(L), math.exp(H), half))
    if markdown:
        print('| family | GPU arch | engine | n | p5 | median | p95 | band (x estimate) | inside | leave-one-out |')
        print('|---|---|---|---|---|---|---|---|---|---|')
    for name, cell, inside, n, loo_in, loo_n, lo, hi, half in rows:
        loo = f'{loo_in}/{loo_n}' if loo_n else '-'
        few = '' if cell['enough'] else ' (too few: default)'
        if markdown:
            print(f"| {name} | {cell['architecture']} | {cell['engine_version']} | {n} | {cell['p5'] * 100:+.1f} % | "
                  f"{cell['p50'] * 100:+.1f} % | {cell['p95'] * 100:+.1f} % | {lo:.3f} - {hi:.3f}{few} | "
                  f"{inside}/{n} | {loo} |")
        else:
            print(f"  {name:24} {cell['architecture']:7} {cell['engine_version']:6} n={n:3d} "
                  f"p5={cell['p5'] * 100:+7.2f}% p50={cell['p50'] * 100:+7.2f}% p95={cell['p95'] * 100:+7.2f}%  "
                  f"band x[{lo:.3f}, {hi:.3f}] half-width {half * 100:5.1f}%  inside {inside}/{n}  loo {loo}{few}")


def build_table(cases, inputs):
    groups = {}
    for c in cases:
        if c.get('error_value') is None:
            continue
        axes = FAMILIES[c['family']]['axes']
        key = (c['family'], c['architecture'] if 'gpu' in axes else 'any', c['engine_version'] if 'version' in axes else 'any')
        groups.setdefault(key, []).append(c)
    families = {}
    for name, spec in FAMILIES.items():
        cells = []
        for (fam, arch, ver), cs in sorted(groups.items()):
            if fam != name:
                continue
            errs = [c['error_value'] for c in cs]
            lo, med, hi = outward_percentiles(errs)
            plo, phi = prediction_bounds(errs)
            cells.append(dict(
                architecture=arch, engine_version=ver, n=len(cs), enough=len(cs) >= MIN_CASES,
                host_bound=name.split('/')[0] in ('decode', 'prefill') and
                cs[0]['engine'] in HOST_BOUND_ENGINES,
                measured_as=sorted({c['extract'] for c in cs}),
                # rounded outward so the stored band never cuts inside a case it was built from
                p5=floor6(lo), p50=round(med, 6), p95=ceil6(hi),
                min=floor6(min(errs)), max=ceil6(max(errs)),
                # the band's bounds: where a case not among these is expected (prediction_bounds)
                lo=floor6(plo), hi=ceil6(phi),
                cases=[c['id'] for c in cs]))
        families[name] = dict(kind=spec['kind'], figure=spec['figure'], axes=spec['axes'],
                              n=sum(c['n'] for c in cells), cells=cells)
    return {
        'about': 'llmsizer accuracy table: signed relative error (estimate / measured - 1) of each rule family '
                 'on measured cases, per envelope cell (GPU architecture x engine minor version; "any" where the '
                 'family does not depend on that axis). Generated by scripts/accuracy.py; do not edit. '
                 'Read by core/src/bands (README "How sure").',
        'generated_from': inputs,
        'rules': RULES,
        'families': families,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('extra', nargs='*', help='more measured rows (jsonl, either format)')
    ap.add_argument('--public', default=os.path.join(SHARED, 'validation-public.jsonl'))
    ap.add_argument('--gpu-public', default=os.path.join(SHARED, 'validation-gpu-public.jsonl'))
    ap.add_argument('--configs', default=os.path.join(SHARED, 'configs'))
    ap.add_argument('--config-map', default=os.path.join(SHARED, 'model_config_map.json'))
    ap.add_argument('--cli', default=os.path.join(ROOT, 'build', 'llmsizer'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'presets', 'accuracy.json'))
    ap.add_argument('--cases-out', default=os.path.join(ROOT, 'tests', 'reference', 'accuracy_cases.json'))
    ap.add_argument('--rows', action='store_true', help='print every case')
    ap.add_argument('--markdown', action='store_true', help='print the summary as a Markdown table (README)')
    a = ap.parse_args()
    if not os.path.exists(a.cli):
        sys.exit(f'no CLI at {a.cli}: build first (cmake --build build)')
    with open(a.config_map) as f:
        cases = Cases(a.configs, json.load(f))
    inputs = []
    for path in [a.public, a.gpu_public] + a.extra:
        add_file(cases, path)
        inputs.append(os.path.basename(path))
    failed = 0
    for c in cases.cases:
        req = dict(c['request'], config=cases.configs[c['config']])
        out, err = estimate(a.cli, req)
        v = extract(out, c['extract'], req) if out else None
        if v is None or not c['measured'] > 0:
            failed += 1
            print(f"FAILED {c['id']} {c['family']}: {err}", file=sys.stderr)
            c['error_value'] = None
            continue
        c['estimate'] = v
        c['error_value'] = v / c['measured'] - 1
        if a.rows:
            print(f"{c['id']:32} {c['family']:24} {c['architecture']:7} {c['engine_version']:6} "
                  f"measured {c['measured']:.5g} ours {v:.5g} err {c['error_value'] * 100:+7.2f}%  {c['detail']}")
    table = build_table(cases.cases, inputs)
    with open(a.out, 'w') as f:
        f.write(dumps(table) + '\n')
    case_file = {
        'about': 'Measured cases behind presets/accuracy.json, each as a self-contained llmsizer request (its '
                 'config under "configs") with the measured value of the figure "extract" names. Generated by '
                 'scripts/accuracy.py from the public measured rows (tests/reference/SOURCES.md); '
                 'tests/bands_test.cpp re-estimates them.',
        'configs': cases.configs,
        'cases': [{k: c[k] for k in ('id', 'source', 'family', 'extract', 'config', 'request', 'measured',
                                     'architecture', 'engine', 'engine_version', 'detail')}
                  for c in cases.cases if c.get('error_value') is not None],
    }
    os.makedirs(os.path.dirname(a.cases_out), exist_ok=True)
    with open(a.cases_out, 'w') as f:
        json.dump(case_file, f, indent=None, separators=(',', ':'))
        f.write('\n')
    print(f"{len(cases.cases) - failed} cases ({failed} failed) -> {os.path.relpath(a.out, ROOT)}")
    report(table, [c for c in cases.cases if c.get('error_value') is not None], a.markdown)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
