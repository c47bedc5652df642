// RUN: not tdopt %s -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=4096}' 2>&1 | filecheck %s

// Reduction loops are not cut: one row of A and one column of B (16 KiB
// each) are the smallest tile, twice (double buffering) plus the 4-byte C tile
// padded to 8: 65552 bytes, more than the 4 KiB budget.
// CHECK: error: tier-tile-l1: the matmul kernel @k_matmul_0_1 needs at least 65552 bytes of L1 (two buffers of its smallest tile: loop ranges [1, 1, 4096]; reduction loops are not tiled) but 4096 bytes are left for tiles (budget 4096, 0 taken by tensors placed in L1); raise --tile-l1
func.func @main(%a: tensor<2x4096xf32>, %b: tensor<4096x2xf32>) -> tensor<2x2xf32> {
  %c = train.matmul %a, %b : (tensor<2x4096xf32>, tensor<4096x2xf32>) -> tensor<2x2xf32>
  func.return %c : tensor<2x2xf32>
}
