// tier.tiled_call round-trips, and its verifier rejects inconsistent tilings
// with a located message.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s --check-prefix=RT
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

// RT-LABEL: func.func @ok
// RT: tier.tiled_call @k(%a, %b) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 2>, steps = [array<i64: 64, 0, 0>, array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>, array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 128, 64, 192>} : memref<64xf32>, memref<64xf32>
func.func @ok(%a: memref<64xf32>, %b: memref<64xf32>) {
  tier.tiled_call @k(%a, %b) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 2>, steps = [array<i64: 64, 0, 0>, array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>, array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 128, 64, 192>} : memref<64xf32>, memref<64xf32>
  func.return
}
// -----
func.func @grid(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: grid must be 3 tile counts >= 1, got [4, 0, 1]
  tier.tiled_call @k(%a) {grid = array<i64: 4, 0, 1>, modes = array<i64: 1>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>} : memref<64xf32>
  func.return
}
// -----
func.func @mode(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: operand 0 has mode 4; expected 0 (resident), 1 (in), 2 (out) or 3 (in and out)
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 4>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>} : memref<64xf32>
  func.return
}
// -----
func.func @count(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: boxes has 2 entries for 1 operands
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>, array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>} : memref<64xf32>
  func.return
}
// -----
func.func @rows(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: box of operand 0 has overlapping rows: [64, 2, 32, 1, 128]
  tier.tiled_call @k(%a) {grid = array<i64: 2, 1, 1>, modes = array<i64: 1>, steps = [array<i64: 128, 0, 0>], boxes = [array<i64: 64, 2, 32, 1, 128>], l1_offsets = array<i64: 0, 128>} : memref<64xf32>
  func.return
}
// -----
func.func @align(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: L1 buffers of operand 0 must be at word-aligned offsets >= 0
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 66>} : memref<64xf32>
  func.return
}
// -----
// RT-LABEL: func.func @home
// RT: home_offsets = array<i64: 0, 8>
func.func @home(%a: memref<64xf32>, %b: memref<66xf32>) {
  tier.tiled_call @k(%a, %b) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 3>, steps = [array<i64: 64, 0, 0>, array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>, array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 128, 64, 192>, home_offsets = array<i64: 0, 8>} : memref<64xf32>, memref<66xf32>
  func.return
}
// -----
func.func @home_count(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: home_offsets has 2 entries for 1 operands
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>, home_offsets = array<i64: 0, 4>} : memref<64xf32>
  func.return
}
// -----
func.func @home_resident(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: home offset of operand 0 must be >= 0, and 0 for a resident operand
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 0>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 256, 1, 256, 1, 256>], l1_offsets = array<i64: 0, 0>, home_offsets = array<i64: 4>} : memref<64xf32>
  func.return
}
// -----
// RT-LABEL: func.func @first
// RT: first_callee = @k_first, first_dims = array<i64: 0, 2>}
func.func @first(%a: memref<64xf32>) {
  tier.tiled_call @k(%a) {grid = array<i64: 2, 1, 2>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>, first_callee = @k_first, first_dims = array<i64: 0, 2>} : memref<64xf32>
  func.return
}
// -----
func.func @first_alone(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: first_callee and first_dims go together
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>, first_callee = @k_first} : memref<64xf32>
  func.return
}
// -----
func.func @first_dims(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: first_dims must be distinct grid dimensions (0 to 2), got [2, 3]
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 2>, steps = [array<i64: 0, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>, first_callee = @k_first, first_dims = array<i64: 2, 3>} : memref<64xf32>
  func.return
}
// -----
func.func @prefetched_out(%a: memref<64xf32>, %b: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: prefetched must name distinct operands that are copied in (mode 1 or 3), got [1]
  tier.tiled_call @k(%a, %b) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1, 2>, steps = [array<i64: 64, 0, 0>, array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>, array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 128, 64, 192>, prefetched = array<i64: 1>} : memref<64xf32>, memref<64xf32>
  func.return
}
// -----
func.func @prefetched_range(%a: memref<64xf32>) {
  // CHECK: tier_tiled_call.mlir:[[# @LINE + 1]]:3: error: tier.tiled_call @k: prefetched must name distinct operands that are copied in (mode 1 or 3), got [0, 0]
  tier.tiled_call @k(%a) {grid = array<i64: 4, 1, 1>, modes = array<i64: 1>, steps = [array<i64: 64, 0, 0>], boxes = [array<i64: 64, 1, 64, 1, 64>], l1_offsets = array<i64: 0, 64>, prefetched = array<i64: 0, 0>} : memref<64xf32>
  func.return
}
