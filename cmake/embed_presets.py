#!/usr/bin/env python3
"""Writes presets/gpus.json and presets/models.json into a C++ source as raw string literals.

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
delim = 'llmsizer_json'
if any(')' + delim + '"' in t for t in texts):
    sys.exit('a preset contains the raw-string delimiter')
src = ('// Generated from presets/*.json by cmake/embed_presets.py. Do not edit.\n'
       'namespace llmsizer {\n'
       'extern const char* const kEmbeddedGpusJson;\nextern const char* const kEmbeddedModelsJson;\n'
       f'const char* const kEmbeddedGpusJson = R"{delim}({texts[0]}){delim}";\n'
       f'const char* const kEmbeddedModelsJson = R"{delim}({texts[1]}){delim}";\n'
       '}  // namespace llmsizer\n')
old = open(out, encoding='utf-8').read() if os.path.exists(out) else None
if old != src:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(src)
