"""`riscv-allocate-registers-full`: register allocation over the whole rv32
register file (`backend/riscv_allocation.py`: s0-s11 and fs0-fs11 besides
xDSL's caller-saved set, loads sunk to their first use, innermost loops as
CORE-V hardware loops with option `hwloops`, constants recomputed when the
registers run out).

Every function but the entry is allocated; a function whose registers are
all allocated already (kept from a trial of `riscv-scf-strength-reduce{
allocate}`) is left as it is. A kernel that does not fit even with its
constants recomputed is an error naming it (the allocator never spills).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.backend.register_stack import OutOfRegisters
from xdsl.context import Context
from xdsl.dialects import riscv_func
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.riscv import IntRegisterType
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from tdopt.backend import riscv_allocation
from tdopt.backend.riscv_allocation import allocate_with_remat, is_allocated
from tdopt.dialects.cluster import ENTRY, kernel_kind


def _is_entry(f: riscv_func.FuncOp) -> bool:
    return ENTRY in f.attributes


@dataclass(frozen=True)
class RiscvAllocateRegistersFullPass(ModulePass):
    """Allocate kernel registers from caller- and callee-saved registers
    (s0 stays free as a frame pointer)."""

    name = "riscv-allocate-registers-full"

    # innermost loops as CORE-V hardware loops (`hardware_loops`)
    hwloops: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, riscv_func.FuncOp) and f.body.blocks and not _is_entry(f) and not is_allocated(f):
                try:
                    allocate_with_remat(f, self.hwloops)
                except OutOfRegisters:
                    # the allocator never spills: name the kernel, not just the fact
                    kernel = kernel_kind(f)
                    ints = sum(isinstance(r, IntRegisterType) for r in riscv_allocation.ALLOCATABLE)
                    origin = f" (lowered from '{_origin(kernel)}')" if kernel is not None else ""
                    e = PassFailedException(
                        f"{self.name}: kernel @{f.sym_name.data}{origin} needs more registers than "
                        f"the {ints} integer and {len(riscv_allocation.ALLOCATABLE) - ints} float ones the allocator "
                        "may use (it does not spill), even with its register blocking chosen by "
                        "trial: a different --cores or --tile-l1 changes its loops; please report the shape"
                    )
                    e.op = f  # type: ignore[attr-defined]  (tdopt locates the kernel)
                    raise e from None


def _origin(short: str) -> str:
    """The op a kernel was lowered from (`cluster.kernel`: grad_relu is grad.relu)."""
    return "grad." + short.removeprefix("grad_") if short.startswith("grad_") else "train." + short
