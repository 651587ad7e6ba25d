#!/usr/bin/env python3
"""Writes every presets/*.json into a C++ source as a raw string literal, minified; presets/engine_support.json
becomes the C++ tables of core/src/deploy/deploy.h instead (no JSON parsing at run time), and
presets/accuracy.json the AccuracyTable of core/src/bands/bands.h (builtin_accuracy_table()).

presets/NAME.json becomes `const char* const kEmbedded<Name>Json` (snake_case NAME in CamelCase: gpus.json ->
kEmbeddedGpusJson, accuracy.json -> kEmbeddedAccuracyJson). Files named *_sources.json are documentation and are
not embedded. Only the keys the core reads are kept: the documentation fields (sources, notes, provenance, a
top-level "about") stay in the JSON files for people, and out of the WebAssembly module the page downloads.
Usage: embed_presets.py PRESETS_DIR OUT.cpp"""
import json, os, sys

presets, out = sys.argv[1], sys.argv[2]
GPU_KEYS = ['id', 'vendor', 'name', 'memory_gib', 'memory_basis', 'memory_bandwidth_gbps', 'tflops', 'interconnect',
            'interconnect_gbps', 'nvswitch', 'pcie_gen', 'architecture', 'market', 'compute_capability', 'gpus_per_node',
            'scale_up_domain', 'intra_node_link', 'intra_node_gbps', 'inter_node_link', 'inter_node_gbps']
MODEL_KEYS = ['id', 'name', 'gated', 'config']
DOC_KEYS = ['about', 'generated_from']  # top-level documentation of an object-shaped preset
TABLES = {'engine_support.json', 'accuracy.json'}  # written as C++ tables below, not as JSON text


def keep(keys):
    return lambda items: [{k: x[k] for k in keys if k in x} for x in items]


# config.json keys no source in core/src reads (checked with grep for each quoted key): token ids, dropout and
# initialisation, norm epsilons, activation names, RoPE's frequency details (theta, the YaRN and
# llama3 factors), MoE training losses. Dropped from the embedded configs, at any depth,
# to keep the first page load within budget; PresetConfigs.TrimmedConfigAnswersAsTheFullOne in
# tests/presets_params_test.cpp checks that every preset answers the same from its full config.
UNREAD_CONFIG_KEYS = {'eos_token_id', 'bos_token_id', 'pad_token_id', 'initializer_range', 'use_cache',
                      'attention_dropout', 'router_aux_loss_coef', 'output_router_logits', 'embd_pdrop', 'resid_pdrop',
                      'boi_token_index', 'eoi_token_index', 'image_token_index', 'rms_norm_eps', 'layer_norm_eps',
                      'hidden_act', 'hidden_activation', 'rope_theta', 'beta_fast', 'beta_slow', 'mscale',
                      'mscale_all_dim', 'low_freq_factor', 'high_freq_factor', 'pretraining_tp',
                      'cache_implementation'}


def trim_config(o):
    if isinstance(o, dict):
        return {k: trim_config(v) for k, v in o.items() if k not in UNREAD_CONFIG_KEYS}
    if isinstance(o, list):
        return [trim_config(v) for v in o]
    return o


def models_filter(items):
    out = keep(MODEL_KEYS)(items)
    for m in out:
        if 'config' in m:
            m['config'] = trim_config(m['config'])
    return out


FILTERS = {'gpus.json': keep(GPU_KEYS), 'models.json': models_filter}


def default_filter(j):
    return {k: v for k, v in j.items() if k not in DOC_KEYS} if isinstance(j, dict) else j


def symbol(file_name):
    stem = file_name[:-len('.json')]
    return 'kEmbedded' + ''.join(p[:1].upper() + p[1:] for p in stem.replace('-', '_').split('_')) + 'Json'


def load(name):
    with open(os.path.join(presets, name), encoding='utf-8') as f:
        return json.load(f)


def cstr(text):
    """A C++ string literal (the source file is UTF-8)."""
    if any(ord(c) < 0x20 for c in text):
        sys.exit('engine_support.json: control character in ' + repr(text))
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


def num(v):
    return repr(float(v))


def support_tables():
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
    return ('\n#include "deploy/deploy.h"\n'
            'namespace llmsizer::deploy {\n'
            'const std::vector<SupportRow>& builtin_support_rows() {\n'
            '  static const std::vector<SupportRow> rows = {\n' + '\n'.join(row_lines) + '\n  };\n  return rows;\n}\n'
            'const std::vector<EngineInfo>& builtin_engines() {\n'
            '  static const std::vector<EngineInfo> engines = {\n' + '\n'.join(engine_lines) + '\n  };\n'
            '  return engines;\n}\n'
            '}  // namespace llmsizer::deploy\n')


def accuracy_table():
    """presets/accuracy.json as the AccuracyTable it parses to (core/src/bands/bands.h): no JSON text and no parser
    in the WebAssembly module the page loads first (tests/bands_test.cpp checks it equals parse_accuracy_table of
    the file). Case ids stay in the file (they only count: n)."""
    a = load('accuracy.json')
    r = a['rules']
    pair = lambda p: '{' + num(p['memory']) + ', ' + num(p['time']) + '}'
    steps = r['step_factor']
    fams = []
    for key, f in a['families'].items():  # the file's order, as the core's reader keeps it
        if f['kind'] not in ('memory', 'time'):
            sys.exit(f'accuracy.json {key}: kind must be memory or time')
        cells = []
        for c in f['cells']:
            if c['n'] != len(c['cases']) or not (c['lo'] <= c['min'] <= c['p5'] <= c['p50'] <= c['p95'] <= c['max'] <= c['hi']):
                sys.exit(f'accuracy.json {key}: a cell with n != cases or unordered bounds')
            cells.append('{' + ', '.join([cstr(c['architecture'].lower()), cstr(c['engine_version']), str(int(c['n'])) + 'LL',
                                          'true' if c['enough'] else 'false', 'true' if c['host_bound'] else 'false',
                                          num(c['p5']), num(c['p50']), num(c['p95']), num(c['min']), num(c['max']), num(c['lo']), num(c['hi']), '{}']) + '}')
        axes = f.get('axes', [])
        fams.append('      {' + ', '.join([cstr(key), 'true' if f['kind'] == 'time' else 'false',
                                            'true' if 'gpu' in axes else 'false', 'true' if 'version' in axes else 'false',
                                            '{' + ', '.join(cells) + '}']) + '},')
    return ('\n#include "bands/bands.h"\n'
            'namespace llmsizer {\n'
            'const AccuracyTable& builtin_accuracy_table() {\n'
            '  static const AccuracyTable table = [] {\n'
            '    AccuracyTable t;\n'
            f"    t.rules = BandRules{{{int(r['min_cases'])}, {pair(r['default_factor'])}, {pair(r['min_factor'])}, "
            f"{pair(steps['gpu'])}, {pair(steps['version'])}, {pair(steps['host'])}}};\n"
            '    t.families = {\n' + '\n'.join(fams) + '\n    };\n'
            '    return t;\n'
            '  }();\n'
            '  return table;\n'
            '}\n'
            '}  // namespace llmsizer\n')


names = sorted(n for n in os.listdir(presets)
               if n.endswith('.json') and not n.endswith('_sources.json') and n not in TABLES)
delim = 'llmsizer_json'
decls, defs = [], []
for name in names:
    text = json.dumps(FILTERS.get(name, default_filter)(load(name)), separators=(',', ':'), ensure_ascii=False)
    if ')' + delim + '"' in text:
        sys.exit(f'{name} contains the raw-string delimiter')
    decls.append(f'extern const char* const {symbol(name)};\n')
    defs.append(f'const char* const {symbol(name)} = R"{delim}({text}){delim}";\n')
src = ('// Generated from presets/*.json by cmake/embed_presets.py. Do not edit.\n'
       'namespace llmsizer {\n' + ''.join(decls) + ''.join(defs) + '}  // namespace llmsizer\n' + support_tables() +
       accuracy_table())
old = open(out, encoding='utf-8').read() if os.path.exists(out) else None
if old != src:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(src)
