"""Analyses beyond the count: what a model needs to be served, trained and fine-tuned on real GPUs.

One job a module, each a set of library functions that return data and never print:

* :mod:`~registry.analyses.kv_cache`: the cache a decoding step keeps, per kind of layer,
  read from the block tree (full, sliding-window, latent and cross attention, SSM and
  RWKV states);
* :mod:`~registry.analyses.activations`: training activations per Korthikanti et al. 2022;
* :mod:`~registry.analyses.sharding`: model states per GPU under ZeRO stages and tensor,
  pipeline and expert parallelism (Rajbhandari et al. 2020);
* :mod:`~registry.analyses.lora`: LoRA's trainable parameters and QLoRA's NF4 weights;
* :mod:`~registry.analyses.gpus`: the GPU catalogue (``registry/data/gpus.toml``) and
  users' own catalogues;
* :mod:`~registry.analyses.timing`: training time and GPU-hours at a model FLOPs utilisation;
* :mod:`~registry.analyses.inference`: prefill and decode FLOPs, bytes per decode step and
  the roofline bound on tokens per second.

:mod:`registry.analyses.memory` and :mod:`registry.analyses.flops` put them together for the CLI.
"""
