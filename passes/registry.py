"""Every pass tdopt provides, by its command-line name. Passes are imported
only when used, so that `tdopt --help` and `xdsl-opt` start fast."""

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass

# name -> "module:Class" (modules under tdopt.)
TRAINING = {
    "train-finetune": "passes.train_finetune:TrainFinetunePass",
    "train-lora": "passes.train_lora:TrainLoraPass",
    "train-lora-merge": "passes.train_lora_merge:TrainLoraMergePass",
    "train-autodiff": "passes.autodiff:TrainAutodiffPass",
    "train-sgd": "passes.train_sgd:TrainSgdPass",
    "train-accumulate": "passes.train_accumulate:TrainAccumulatePass",
    "train-stats": "passes.train_stats:TrainStatsPass",
    "train-schedule-updates": "passes.train_schedule_updates:TrainScheduleUpdatesPass",
    # issue 13
    "train-fold-batchnorm": "passes.train_fold_batchnorm:TrainFoldBatchnormPass",
    # issue 17
    "train-fuse-weight-update": "passes.train_fuse_weight_update:TrainFuseWeightUpdatePass",
}

LOWERING = {
    "convert-train-to-linalg": "lowering.train_to_linalg:ConvertTrainToLinalgPass",
    "plan-memory": "passes.plan_memory:PlanMemoryPass",
    "convert-reductions-to-memref-stream": (
        "lowering.reductions_to_memref_stream:ConvertReductionsToMemRefStreamPass"
    ),
    "interleave-contractions": "passes.interleave_contractions:InterleaveContractionsPass",
    "affine-fold-constants": "passes.affine_fold_constants:AffineFoldConstantsPass",
    "tier-tile-l1": "passes.tier_tile_l1:TierTileL1Pass",
    "kernel-fuse-add": "passes.kernel_fuse_add:KernelFuseAddPass",
    "kernel-fuse-producer": "passes.kernel_fuse_producer:KernelFuseProducerPass",
    "kernel-fuse-consumer": "passes.kernel_fuse_consumer:KernelFuseConsumerPass",
    "kernel-fuse-fill": "passes.kernel_fuse_fill:KernelFuseFillPass",
    "kernel-fold-epilogue": "passes.kernel_fold_epilogue:KernelFoldEpiloguePass",
    "kernel-schedule-epilogues": "passes.kernel_schedule_epilogues:KernelScheduleEpiloguesPass",
    "tier-prefetch-first-tiles": "passes.tier_prefetch_first_tiles:TierPrefetchFirstTilesPass",
    "kernel-squeeze-unit-dims": "passes.kernel_squeeze_unit_dims:KernelSqueezeUnitDimsPass",
    "kernel-dedup": "passes.kernel_dedup:KernelDedupPass",
    "kernel-reorder-reductions": "passes.kernel_reorder_reductions:KernelReorderReductionsPass",
    "cluster-mark-parallel": "passes.cluster_mark_parallel:ClusterMarkParallelPass",
    "cluster-parallelize": "passes.cluster_parallelize:ClusterParallelizePass",
    "kernel-unroll-innermost": "passes.kernel_unroll_innermost:KernelUnrollInnermostPass",
    "convert-globals-to-sections": "lowering.globals_to_sections:ConvertGlobalsToSectionsPass",
    "convert-entry-to-riscv": "lowering.entry_to_riscv:ConvertEntryToRiscvPass",
    "convert-tier-dma-to-riscv": "lowering.tier_dma_to_riscv:ConvertTierDmaToRiscvPass",
    "convert-memref-views-to-riscv": "lowering.memref_views_to_riscv:ConvertMemrefViewsToRiscvPass",
    # issue 16
    "convert-cluster-to-riscv": "lowering.cluster_to_riscv:ConvertClusterToRiscvPass",
    # issue 17
    "convert-cluster-epilogue": "lowering.cluster_epilogue:ConvertClusterEpiloguePass",
}

RV32F = {
    "expand-math-rv32f": "lowering.expand_math_rv32f:ExpandMathRv32fPass",
    "convert-arith-extra-to-riscv": "lowering.arith_extra_to_riscv:ConvertArithExtraToRiscvPass",
    "riscv-scf-strength-reduce": "passes.riscv_scf_strength_reduce:RiscvScfStrengthReducePass",
    "riscv-fuse-fmadd": "passes.riscv_fuse_fmadd:RiscvFuseFmaddPass",
    "riscv-scf-unroll": "passes.riscv_scf_unroll:RiscvScfUnrollPass",
    "riscv-allocate-registers-full": "passes.riscv_allocate_registers_full:RiscvAllocateRegistersFullPass",
    "riscv-save-callee-saved": "passes.riscv_save_callee_saved:RiscvSaveCalleeSavedPass",
    "convert-riscv-scf-to-riscv-cf-per-function": (
        "lowering.riscv_scf_to_riscv_cf_per_function:ConvertRiscvScfToRiscvCfPerFunctionPass"
    ),
}


def _lazy(target: str) -> Callable[[], type[ModulePass]]:
    module, cls = target.split(":")

    def load() -> type[ModulePass]:
        return getattr(import_module(f"tdopt.{module}"), cls)

    # `tdopt --help` lists the factories defined here as the project's passes
    load.__module__ = __name__
    return load


def all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    return {name: _lazy(t) for table in (TRAINING, LOWERING, RV32F) for name, t in table.items()}
