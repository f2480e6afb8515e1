"""``registry inspect CHECKPOINT``: exact counts of a checkpoint (safetensors, quantized, GGUF), from its headers."""

from __future__ import annotations

import argparse

from registry.commands import add_format_option

NAME = "inspect"
HELP = "count the parameters of a checkpoint (safetensors, quantized, GGUF) from its headers"
DESCRIPTION = """Count the tensors, parameters and bytes of a checkpoint, grouped by module
prefix and dtype. Only the headers are read (no tensor data is touched), so a checkpoint of
any size takes milliseconds. CHECKPOINT is a .safetensors file, a sharded
*.safetensors.index.json with its shards next to it, a .gguf file (also llama.cpp's
mmproj file of a vision tower), a model folder holding one (a model GGUF with its mmproj*.gguf:
both files' tensors), or a Hugging Face repo id (org/name[@revision], org/name:file.gguf), whose
headers are fetched by HTTP Range requests (the shards' concurrently), never its weights. Quantized weights (GPTQ, AWQ, bitsandbytes, compressed-tensors, FP8 with
block scales, MXFP4, MLX, every GGUF type) are counted as their logical, dequantized
parameters, with the bytes stored, the quantization overhead (scales, zeros, indices)
and the bits per weight; the layout comes from quantization_config in the config.json
beside the checkpoint, else from the tensor names."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry inspect``."""
    parser.add_argument("checkpoint", metavar="CHECKPOINT",
                        help=".safetensors, *.safetensors.index.json, .gguf, a folder holding one (also a Hugging Face "
                             "cache folder, models--org--name), or a Hugging Face repo id "
                             "(org/name[@revision][:file.gguf]: its headers by HTTP Range requests)")  # fmt: skip
    parser.add_argument(
        "-d", "--depth", default=None, metavar="N",
        help="group tensors by the first N parts of their names (default: 2, e.g. model.layers; 1 for GGUF, e.g. blk)",
    )  # fmt: skip
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the groups and the total; exit 2 (via SpecError) if the checkpoint cannot be read."""
    import json

    from registry.checkpoints import open_checkpoint
    from registry.commands._options import positive_int
    from registry.output.render_checkpoints import checkpoint_json, checkpoint_text

    depth = None if args.depth is None else positive_int("inspect", "--depth", args.depth)  # no usage on error
    checkpoint = open_checkpoint(args.checkpoint)
    depth = depth or (1 if checkpoint.format == "gguf" else 2)
    if args.format == "json":
        print(json.dumps(checkpoint_json(checkpoint, args.checkpoint, depth), indent=2, allow_nan=False))
    else:
        print(checkpoint_text(checkpoint, args.checkpoint, depth, args.format))
    return 0
