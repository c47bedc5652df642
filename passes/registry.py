"""Every pass tdopt provides, by its command-line name. Factories import
lazily so that `tdopt --help` and `xdsl-opt` start fast."""

from collections.abc import Callable

from xdsl.passes import ModulePass


def all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    return {**training_passes(), **lowering_passes(), **rv32f_passes()}


def lowering_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Conversions between levels (lowering/) and the memory plan."""

    def train_to_linalg():
        from tdopt.lowering.train_to_linalg import ConvertTrainToLinalgPass

        return ConvertTrainToLinalgPass

    def plan_memory():
        from tdopt.passes.plan_memory import PlanMemoryPass

        return PlanMemoryPass

    def globals_to_sections():
        from tdopt.lowering.program_to_riscv import ConvertGlobalsToSectionsPass

        return ConvertGlobalsToSectionsPass

    def entry_to_riscv():
        from tdopt.lowering.program_to_riscv import ConvertEntryToRiscvPass

        return ConvertEntryToRiscvPass

    def allocate_full():
        from tdopt.passes.riscv_registers import RiscvAllocateRegistersFullPass

        return RiscvAllocateRegistersFullPass

    def save_callee_saved():
        from tdopt.passes.riscv_registers import RiscvSaveCalleeSavedPass

        return RiscvSaveCalleeSavedPass

    def reductions_to_stream():
        from tdopt.lowering.linalg_to_memref_stream import (
            ConvertReductionsToMemRefStreamPass,
        )

        return ConvertReductionsToMemRefStreamPass

    def cluster_mark():
        from tdopt.passes.parallelize_kernels import ClusterMarkParallelPass

        return ClusterMarkParallelPass

    def cluster_parallelize():
        from tdopt.passes.parallelize_kernels import ClusterParallelizePass

        return ClusterParallelizePass

    def interleave():
        from tdopt.lowering.linalg_to_memref_stream import InterleaveContractionsPass

        return InterleaveContractionsPass

    return {
        "interleave-contractions": interleave,
        "cluster-mark-parallel": cluster_mark,
        "cluster-parallelize": cluster_parallelize,
        "convert-reductions-to-memref-stream": reductions_to_stream,
        "riscv-allocate-registers-full": allocate_full,
        "riscv-save-callee-saved": save_callee_saved,
        "convert-train-to-linalg": train_to_linalg,
        "plan-memory": plan_memory,
        "convert-globals-to-sections": globals_to_sections,
        "convert-entry-to-riscv": entry_to_riscv,
    }


def training_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """train-autodiff, train-sgd, train-finetune, train-lora(-merge), train-stats."""

    def autodiff():
        from tdopt.passes.autodiff import TrainAutodiffPass

        return TrainAutodiffPass

    def sgd():
        from tdopt.passes.train_sgd import TrainSgdPass

        return TrainSgdPass

    def finetune():
        from tdopt.passes.train_finetune import TrainFinetunePass

        return TrainFinetunePass

    def lora():
        from tdopt.passes.train_lora import TrainLoraPass

        return TrainLoraPass

    def lora_merge():
        from tdopt.passes.train_lora import TrainLoraMergePass

        return TrainLoraMergePass

    def stats():
        from tdopt.passes.train_stats import TrainStatsPass

        return TrainStatsPass

    def schedule_updates():
        from tdopt.passes.train_schedule_updates import TrainScheduleUpdatesPass

        return TrainScheduleUpdatesPass

    return {
        "train-schedule-updates": schedule_updates,
        "train-autodiff": autodiff,
        "train-sgd": sgd,
        "train-finetune": finetune,
        "train-lora": lora,
        "train-lora-merge": lora_merge,
        "train-stats": stats,
    }


def rv32f_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Scalar f32 code for rv32imf: math expansion, extra lowerings, fmadd.s
    fusion, address strength reduction."""

    def expand_math():
        from tdopt.lowering.math_to_arith import ExpandMathRv32fPass

        return ExpandMathRv32fPass

    def arith_extra():
        from tdopt.lowering.arith_extra_to_riscv import ConvertArithExtraToRiscvPass

        return ConvertArithExtraToRiscvPass

    def fuse_fmadd():
        from tdopt.passes.riscv_fuse_fmadd import RiscvFuseFmaddPass

        return RiscvFuseFmaddPass

    def strength_reduce():
        from tdopt.passes.riscv_strength_reduce import RiscvScfStrengthReducePass

        return RiscvScfStrengthReducePass

    return {
        "riscv-scf-strength-reduce": strength_reduce,
        "expand-math-rv32f": expand_math,
        "convert-arith-extra-to-riscv": arith_extra,
        "riscv-fuse-fmadd": fuse_fmadd,
    }
