"""`tdopt --stats`: a summary of what the pipeline produced, on stderr."""

from __future__ import annotations

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp

from tdopt.dialects.cluster import ENTRY, KERNEL, PLAN_FIELDS, memory_plan, role_of
from tdopt.dialects.tier import byte_size


def module_stats(module: ModuleOp) -> list[str]:
    lines: list[str] = []
    for f in module.ops:
        if isinstance(f, func.FuncOp) and _has_loss(f):
            from tdopt.passes.train_stats import measure

            lines.append(measure(f).table(f.sym_name.data))
    by_role: dict[str, tuple[int, int]] = {}
    for g in module.ops:
        if isinstance(g, memref.GlobalOp) and isinstance(g.type, MemRefType):
            role = role_of(g)
            key = role.value if role is not None else "other"
            n, b = by_role.get(key, (0, 0))
            by_role[key] = (n + 1, b + byte_size(g.type))
    for role in ("input", "param", "const", "output", "arena"):
        if role in by_role:
            n, b = by_role[role]
            lines.append(f"{role + 's' if role != 'arena' else 'arena':<8} {n:>5} tensors {b:>10} bytes")
    plan = memory_plan(module)
    planned = plan.fields() if plan is not None else {}
    for key, label in PLAN_FIELDS.items():
        if key in planned and key != "tiled_calls":
            lines.append(f"{label}: {planned[key]} bytes")
    kernels = [f for f in module.walk() if KERNEL in getattr(f, "attributes", {})]
    if kernels:
        lines.append(f"kernels: {len(kernels)}")
    if "tiled_calls" in planned:
        lines.append(f"tiled kernel calls: {planned['tiled_calls']}")
    return lines


def _has_loss(f: func.FuncOp) -> bool:
    from tdopt.dialects.train_module import result_names

    return ENTRY not in f.attributes and "loss" in result_names(f)


def module_stat(module: ModuleOp, key: str) -> int:
    """A field of the module's `cluster.memory_plan` (`dma_in`,
    `dma_floor`, ...), 0 when absent: the one place tools read them."""
    plan = memory_plan(module)
    return plan.get(key) if plan is not None else 0
