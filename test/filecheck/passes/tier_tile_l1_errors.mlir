// RUN: not tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=4096}' 2>&1 | filecheck %s

// Only the outermost reduction loop is cut: summing 2 x 4096 over both
// axes, the smallest tile is one row of 4096 floats (16 KiB), twice (the
// grid moves it: double buffering), plus the 4-byte result padded to 8,
// once (every tile accumulates into the same one): 32776 bytes, more than
// the 4 KiB budget.
// CHECK: error: tier-tile-l1: the reduce_sum kernel @k_reduce_sum_0_1 needs at least 32776 bytes of L1 (the buffers of its smallest tile: loop ranges [1, 4096]; only the outermost reduction loop is cut) but 4096 bytes are left for tiles (budget 4096, 0 taken by tensors placed in L1); raise --tile-l1
func.func @main(%x: tensor<2x4096xf32>) -> tensor<f32> {
  %s = train.reduce_sum %x {axes = array<i64: 0, 1>} : (tensor<2x4096xf32>) -> tensor<f32>
  func.return %s : tensor<f32>
}
