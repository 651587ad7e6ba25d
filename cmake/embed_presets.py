#!/usr/bin/env python3
"""Writes every presets/*.json into a C++ source as a raw string literal, minified.

presets/NAME.json becomes `const char* const kEmbedded<Name>Json` (snake_case NAME in CamelCase: gpus.json ->
kEmbeddedGpusJson, accuracy.json -> kEmbeddedAccuracyJson, engine_support.json -> kEmbeddedEngineSupportJson).
Files named *_sources.json are documentation and are not embedded. Only the keys the core reads are kept: the
documentation fields (sources, notes, provenance, a top-level "about") stay in the JSON files for people, and out
of the WebAssembly module the page downloads.
Usage: embed_presets.py PRESETS_DIR OUT.cpp"""
import json, os, sys

presets, out = sys.argv[1], sys.argv[2]
GPU_KEYS = ['id', 'vendor', 'name', 'memory_gib', 'memory_basis', 'memory_bandwidth_gbps', 'tflops', 'interconnect',
            'interconnect_gbps', 'nvswitch', 'pcie_gen', 'architecture', 'market']
MODEL_KEYS = ['id', 'name', 'gated', 'config']
DOC_KEYS = ['about', 'generated_from']  # top-level documentation of an object-shaped preset


def keep(keys):
    return lambda items: [{k: x[k] for k in keys if k in x} for x in items]


FILTERS = {'gpus.json': keep(GPU_KEYS), 'models.json': keep(MODEL_KEYS)}


def default_filter(j):
    return {k: v for k, v in j.items() if k not in DOC_KEYS} if isinstance(j, dict) else j


def symbol(file_name):
    stem = file_name[:-len('.json')]
    return 'kEmbedded' + ''.join(p[:1].upper() + p[1:] for p in stem.replace('-', '_').split('_')) + 'Json'


names = sorted(n for n in os.listdir(presets) if n.endswith('.json') and not n.endswith('_sources.json'))
delim = 'llmsizer_json'
decls, defs = [], []
for name in names:
    with open(os.path.join(presets, name), encoding='utf-8') as f:
        j = json.load(f)
    text = json.dumps(FILTERS.get(name, default_filter)(j), separators=(',', ':'), ensure_ascii=False)
    if ')' + delim + '"' in text:
        sys.exit(f'{name} contains the raw-string delimiter')
    decls.append(f'extern const char* const {symbol(name)};\n')
    defs.append(f'const char* const {symbol(name)} = R"{delim}({text}){delim}";\n')
src = ('// Generated from presets/*.json by cmake/embed_presets.py. Do not edit.\n'
       'namespace llmsizer {\n' + ''.join(decls) + ''.join(defs) + '}  // namespace llmsizer\n')
old = open(out, encoding='utf-8').read() if os.path.exists(out) else None
if old != src:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(src)
