"""Hardware fit: does model X at quant Q fit in this much memory at this context length?

The estimate is weights + KV cache + runtime overhead, per context length. The KV cache is where naive
calculators go badly wrong, because modern architectures do not cache 2 x heads x head_dim per token in
every layer (see ``kv.kv_cache_bytes``). One module per part: ``arch`` (config or GGUF header → attention
shape), ``weights`` (bits per weight, quant names), ``kv``, ``memory`` (GPUs, RAM, a user's spec, sizes),
``budget`` (runtime overhead, verdict thresholds), ``estimate`` (the table and its verdicts), ``speed`` (decode
tokens/s from memory bandwidth: GPU datasheets, the CPU measured), ``parallel`` (tensor × pipeline plans on several
GPUs) and ``quants`` (a catalogued model's quants, each with its table).
The GGUF header reader is ``catalog.gguf``.

Headless core: no textual import, no work at import time. Heavy or optional dependencies (gguf/numpy,
pynvml, psutil) are imported inside the functions that need them. Import the names from their module;
this package re-exports nothing, so each caller says which part it uses.
"""
