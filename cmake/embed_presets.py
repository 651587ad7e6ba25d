#!/usr/bin/env python3
"""Writes presets/gpus.json and presets/models.json into a C++ source as raw string literals, and
presets/engine_support.json as the C++ tables of core/src/deploy/deploy.h (no JSON parsing at run time).

Only the keys the core reads are kept, minified: the documentation fields (sources, notes, provenance)
stay in the JSON files for people, and out of the WebAssembly module the page downloads.
Usage: embed_presets.py PRESETS_DIR OUT.cpp"""
import json, os, sys

presets, out = sys.argv[1], sys.argv[2]
GPU_KEYS = ['id', 'vendor', 'name', 'memory_gib', 'memory_basis', 'memory_bandwidth_gbps', 'tflops', 'interconnect',
            'interconnect_gbps', 'nvswitch', 'pcie_gen', 'architecture', 'market', 'compute_capability', 'gpus_per_node',
            'scale_up_domain', 'intra_node_link', 'intra_node_gbps', 'inter_node_link', 'inter_node_gbps']
MODEL_KEYS = ['id', 'name', 'gated', 'config']

def load(name):
    with open(os.path.join(presets, name), encoding='utf-8') as f:
        return json.load(f)

gpus = [{k: g[k] for k in GPU_KEYS if k in g} for g in load('gpus.json')]
models = [{k: m[k] for k in MODEL_KEYS if k in m} for m in load('models.json')]
texts = [json.dumps(x, separators=(',', ':'), ensure_ascii=False) for x in (gpus, models)]

def cstr(text):
    """A C++ string literal (the source file is UTF-8)."""
    if any(ord(c) < 0x20 for c in text):
        sys.exit('engine_support.json: control character in ' + repr(text))
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'

def num(v):
    return repr(float(v))

support = load('engine_support.json')
row_lines, engine_lines = [], []
for i, r in enumerate(support['rows']):
    for k in ('engine', 'match', 'supported', 'via', 'source'):
        if k not in r:
            sys.exit(f'engine_support.json rows[{i}] has no {k!r}')
    m, fp8 = r['match'], r.get('fp8', {})
    archs = '{' + ', '.join(cstr(a) for a in m.get('architectures', [])) + '}'
    row_lines.append('    {' + ', '.join([
        cstr(r['engine']), cstr(m.get('vendor', '')), archs, num(m.get('min_compute_capability', 0)),
        'true' if r['supported'] else 'false', cstr(r['via']), cstr(r.get('note', '')), cstr(r.get('reason', '')),
        cstr(r['source']), num(fp8.get('w8a8_min_compute_capability', 0)),
        num(fp8.get('weight_only_min_compute_capability', 0))]) + '},')
for e in support['engines']:
    engine_lines.append('    {' + ', '.join([cstr(e['engine']), 'true' if e['multi_node'] else 'false',
                                              cstr(e['multi_node_via']), cstr(e['source'])]) + '},')

delim = 'llmsizer_json'
if any(')' + delim + '"' in t for t in texts):
    sys.exit('a preset contains the raw-string delimiter')
src = ('// Generated from presets/*.json by cmake/embed_presets.py. Do not edit.\n'
       'namespace llmsizer {\n'
       'extern const char* const kEmbeddedGpusJson;\nextern const char* const kEmbeddedModelsJson;\n'
       f'const char* const kEmbeddedGpusJson = R"{delim}({texts[0]}){delim}";\n'
       f'const char* const kEmbeddedModelsJson = R"{delim}({texts[1]}){delim}";\n'
       '}  // namespace llmsizer\n'
       '\n#include "deploy/deploy.h"\n'
       'namespace llmsizer::deploy {\n'
       'const std::vector<SupportRow>& builtin_support_rows() {\n'
       '  static const std::vector<SupportRow> rows = {\n' + '\n'.join(row_lines) + '\n  };\n  return rows;\n}\n'
       'const std::vector<EngineInfo>& builtin_engines() {\n'
       '  static const std::vector<EngineInfo> engines = {\n' + '\n'.join(engine_lines) + '\n  };\n'
       '  return engines;\n}\n'
       '}  // namespace llmsizer::deploy\n')
old = open(out, encoding='utf-8').read() if os.path.exists(out) else None
if old != src:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(src)
