// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,kernel-fuse-fill' | filecheck %s --check-prefix=PLAIN
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{spill_l3=true l1_budget=0},tier-tile-l1{budget=8192},kernel-fuse-fill' | filecheck %s --check-prefix=TILED

// A matmul lowers to a zero fill of its result (k_matmul_0_0) and the
// contraction accumulating into it (k_matmul_0_1). Fused: one call of the
// contraction with the fill at its start.
// PLAIN-LABEL: func.func @main()
// PLAIN-NOT:   func.call @k_matmul_0_0
// PLAIN:       func.call @k_matmul_0_1_from_fill(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<16x64xf32>, memref<64x32xf32>, memref<16x32xf32>) -> ()
// PLAIN-NEXT:  func.return
// PLAIN-NOT:   func.func @k_matmul_0_0(
// PLAIN-LABEL: func.func @k_matmul_0_1_from_fill(
// PLAIN-SAME:  %{{.*}}: memref<16x64xf32>, %{{.*}}: memref<64x32xf32>, %[[OUT:[0-9]+]]: memref<16x32xf32>)
// PLAIN-NEXT:  %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// PLAIN-NEXT:  linalg.fill ins(%[[ZERO]] : f32) outs(%[[OUT]] : memref<16x32xf32>)
// PLAIN-NEXT:  linalg.generic

// Tiled through 8 KiB: 8 tiles of 16 x 4 outputs (A's 4 KiB in one buffer,
// the grid never moves it; the strips of B and C in two), the whole
// reduction (64) in each, so each tile starts from zero and its output is
// copied out only (mode 2, was 3). The fill's tiled call is gone, and with
// it the 2 KiB result written by the fill (dma_out 4096 -> 2048) and copied
// in again by the contraction (dma_in 14336 -> 12288).
// TILED:       cluster.memory_plan = #cluster.memory_plan<{{.*}}tiled_calls = 1, dma_in = 12288, dma_out = 2048,
// TILED-LABEL: func.func @main()
// TILED-NOT:   tier.tiled_call @k_matmul_0_0
// TILED:       tier.tiled_call @k_matmul_0_1_t16x4x64_from_fill(%{{.*}}, %{{.*}}, %{{.*}}) {grid = array<i64: 8, 1, 1>, modes = array<i64: 1, 1, 2>,
// TILED-NEXT:  func.return
// TILED-LABEL: func.func @k_matmul_0_1_t16x4x64_from_fill(
// TILED-NEXT:  arith.constant 0.000000e+00 : f32
// TILED-NEXT:  linalg.fill
func.func @main(%a: tensor<16x64xf32>, %b: tensor<64x32xf32>) -> tensor<16x32xf32> {
  %x = train.matmul %a, %b : (tensor<16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
  func.return %x : tensor<16x32xf32>
}
