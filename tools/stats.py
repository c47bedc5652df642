"""`tdopt --stats`: a summary of what the pipeline produced, on stderr."""

from __future__ import annotations

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, StringAttr

from tdopt.passes.plan_memory import byte_size


def module_stats(module: ModuleOp) -> list[str]:
    lines: list[str] = []
    for f in module.ops:
        if isinstance(f, func.FuncOp) and _has_loss(f):
            from tdopt.passes.train_stats import measure

            lines.append(measure(f).table(f.sym_name.data))
    by_role: dict[str, tuple[int, int]] = {}
    for g in module.ops:
        if isinstance(g, memref.GlobalOp) and isinstance(g.type, MemRefType):
            role = g.attributes.get("tdopt.role")
            key = role.data if isinstance(role, StringAttr) else "other"
            n, b = by_role.get(key, (0, 0))
            by_role[key] = (n + 1, b + byte_size(g.type))
    for role in ("input", "param", "const", "output", "arena"):
        if role in by_role:
            n, b = by_role[role]
            lines.append(f"{role + 's' if role != 'arena' else 'arena':<8} {n:>5} tensors {b:>10} bytes")
    labels = {
        "tdopt.data_bytes": "parameters, inputs and outputs",
        "tdopt.arena_bytes": "activation arena (peak)",
        "tdopt.l1_bytes": "placed in L1",
        "tdopt.l2_bytes": "placed in L2",
        "tdopt.l3_bytes": "spilled to L3 (L2 too small)",
        "tdopt.tiles_bytes": "L1 tile buffers (both copies, peak)",
        "tdopt.dma_in_bytes": "DMA per step, home -> L1",
        "tdopt.dma_out_bytes": "DMA per step, L1 -> home",
        "tdopt.dma_floor_bytes": "DMA floor per step (least any schedule of these calls moves)",
    }
    for key, label in labels.items():
        attr = module.attributes.get(key)
        if isinstance(attr, IntegerAttr):
            lines.append(f"{label}: {attr.value.data} bytes")
    kernels = [f for f in module.walk() if "tdopt.kernel" in getattr(f, "attributes", {})]
    if kernels:
        lines.append(f"kernels: {len(kernels)}")
    tiled = module.attributes.get("tdopt.tiled_calls")
    if isinstance(tiled, IntegerAttr):
        lines.append(f"tiled kernel calls: {tiled.value.data}")
    return lines


def _has_loss(f: func.FuncOp) -> bool:
    from tdopt.dialects.train_module import result_names

    return "tdopt.entry" not in f.attributes and "loss" in result_names(f)


def module_stat(module: ModuleOp, key: str) -> int:
    """A statistic the pipeline recorded on the module (`tdopt.dma_in_bytes`,
    `tdopt.dma_floor_bytes`, ...), 0 when absent: the one place tools read
    them by name."""
    attr = module.attributes.get(key)
    return attr.value.data if isinstance(attr, IntegerAttr) else 0
