// `tdopt --lora --tile-l1=SIZE` prints the whole LoRA training step as RISC-V
// assembly, its kernels run tile by tile by the runtime's tile driver; the
// sizes and the core count are checked.
// RUN: python %S/../../../examples/cct_block/make_inputs.py > /dev/null
// RUN: tdopt %S/../../../examples/cct_block/encoder_block.mlir --lora --tile-l1=128k | filecheck %s --check-prefix=FITS
// RUN: tdopt %S/../../../examples/cct_block/encoder_block.mlir --lora --tile-l1=16k | filecheck %s
// RUN: tdopt %S/../../../examples/cct_block/encoder_block.mlir --lora --tile-l1=16k --stats -o /dev/null 2>&1 | filecheck %s --check-prefix=STATS
// RUN: not tdopt %s --tile-l1=1k 2>&1 | filecheck %s --check-prefix=SMALL
// RUN: not tdopt %s --tile-l1=12q 2>&1 | filecheck %s --check-prefix=BAD
// RUN: not tdopt %s --tile-l1=128k --cores=9 2>&1 | filecheck %s --check-prefix=CORES
// RUN: not tdopt %s --emit=asm --l2=100k 2>&1 | filecheck %s --check-prefix=L2
// RUN: not tdopt %s --cores=2 2>&1 | filecheck %s --check-prefix=EMIT
// RUN: not tdopt %s --tile-l1=64k -p canonicalize 2>&1 | filecheck %s --check-prefix=MIX

// A block this small fits in L1 whole: plain kernel calls.
// FITS: .globl main
// FITS-NOT: call tdrt_tiled
// CHECK-DAG: .globl main
// CHECK-DAG: call tdrt_tiled
// CHECK-DAG: lora_A

// STATS: L1 tile buffers (peak): {{[1-9][0-9]*}} bytes
// STATS: DMA per step, home -> L1: {{[1-9][0-9]*}} bytes
// STATS: tiled kernel calls: {{[1-9][0-9]*}}

// SMALL: error: --tile-l1 1k: the cluster's L1 is 16 KiB to 256 KiB (got 1024 bytes)
// BAD: error: --tile-l1: not a size: '12q' (expected e.g. 64k, 128k, 2m or a byte count)
// CORES: error: --cores 9: the cluster has 1 to 8 cores (got 9)
// L2: error: --l2 100k: must exceed the 256 KiB kept for code and be at most the cluster's 2 MiB
// EMIT: error: --cores and --l2 apply to --emit=linalg or --emit=asm
// MIX: error: -p cannot be combined with --lora, --finetune, --emit, --tile-l1, --cores or --l2
func.func @main(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %b = train.relu %a : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %b : tensor<4x4xf32>
}
