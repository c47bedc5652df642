// A runtime hook of the cluster dialect takes no operands and gives one
// index; anything else is rejected with a located message.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: result 'result' at position 0 does not verify:
  %id = "cluster.core_id"() : () -> i32
  func.return
}
// -----
func.func @f(%x: index) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: Expected 0 operands, but got 1
  %n = "cluster.num_cores"(%x) : (index) -> index
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: Expected 1 result, but got 2
  %n:2 = "cluster.num_cores"() : () -> (index, index)
  func.return
}
// -----
// cluster.unroll: a power-of-two factor, first in a loop's body.
func.func @f(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:5: error: 'cluster.unroll': the factor must be a power of two >= 2, got 3
    cluster.unroll 3
  }
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.unroll': must be in the body of an scf.for or riscv_scf.for
  cluster.unroll 2
  func.return
}
// -----
// cluster.tiled_descriptor: per-operand arrays of the right length, modes
// 0-3, a first kernel for first_dims, at most TDRT_TILED_MAX_OPERANDS (8).
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.tiled_descriptor': l1_offsets has 1 values; 2 per operand (1 operands) expected
cluster.tiled_descriptor "d" {kernel = @k, first_dims = array<i64>, grid = array<i64: 2, 1, 1>, modes = array<i64: 2>, homes = [@out], home_offsets = array<i64: 0>, l1_offsets = array<i64: 0>, steps = array<i64: 8192, 0, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192>}
// -----
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.tiled_descriptor': operand modes are 0 (resident) to 3 (IN | OUT), got 4
cluster.tiled_descriptor "d" {kernel = @k, first_dims = array<i64>, grid = array<i64: 2, 1, 1>, modes = array<i64: 4>, homes = [@out], home_offsets = array<i64: 0>, l1_offsets = array<i64: 0, 8192>, steps = array<i64: 8192, 0, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192>}
// -----
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.tiled_descriptor': first_dims and first_parallel need a first_kernel
cluster.tiled_descriptor "d" {kernel = @k, first_dims = array<i64: 1>, grid = array<i64: 2, 2, 1>, modes = array<i64: 2>, homes = [@out], home_offsets = array<i64: 0>, l1_offsets = array<i64: 0, 8192>, steps = array<i64: 8192, 0, 0>, boxes = array<i64: 8192, 1, 8192, 1, 8192>}
// -----
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.tiled_descriptor': 9 operands, the runtime's descriptor holds at most 8
cluster.tiled_descriptor "d" {kernel = @k, first_dims = array<i64>, grid = array<i64: 1, 1, 1>, modes = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0>, homes = [@a, @a, @a, @a, @a, @a, @a, @a, @a], home_offsets = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0>, l1_offsets = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, steps = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0>, boxes = array<i64: 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4, 4, 1, 4, 1, 4>}
// -----
// cluster.fork_args: a home offset per home, at most 8 buffers (a0-a7).
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.fork_args': 2 homes but 1 offsets
cluster.fork_args "f" {kernel = @k, homes = [@a, @b], home_offsets = array<i64: 0>}
// -----
// CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:1: error: 'cluster.fork_args': 9 buffers; a kernel takes at most 8 in registers
cluster.fork_args "f" {kernel = @k, homes = [@a, @a, @a, @a, @a, @a, @a, @a, @a], home_offsets = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0>}
// -----
// cluster.call: as cluster.fork_args, a home offset per home, at most 8 buffers.
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.call': 1 homes but 2 offsets
  cluster.call {kernel = @k, homes = [@a], home_offsets = array<i64: 0, 4>}
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.call': 9 buffers; a kernel takes at most 8 in registers
  cluster.call {kernel = @k, homes = [@a, @a, @a, @a, @a, @a, @a, @a, @a], home_offsets = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 0>}
  func.return
}
// -----
// cluster.cycle_stamp: word 0 (before the call) or 1 (after it) of a slot >= 0.
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.cycle_stamp': word must be 0 (before the call) or 1 (after it)
  cluster.cycle_stamp {slot = 0 : i64, word = 2 : i64}
  func.return
}
// -----
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.cycle_stamp': slot must be an integer >= 0
  cluster.cycle_stamp {slot = -1 : i64, word = 0 : i64}
  func.return
}
// -----
// cluster.check_labels: at least one row and one class.
func.func @f() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.check_labels': classes must be an integer >= 1
  cluster.check_labels {labels = @y, offset = 0 : i64, rows = 4 : i64, classes = 0 : i64, index = 0 : i64}
  func.return
}
// -----
// cluster.return ends the entry only.
riscv_func.func public @kernel() {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.return': ends the entry, a riscv_func.func marked cluster.entry
  cluster.return
}
// -----
// cluster.epilogue: `result` names one of its operands, T, reached through
// the identity map; every map takes T's dimensions.
func.func @f(%b: memref<3xf32>, %t: memref<4x3xf32>, %y: memref<4x3xf32>) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.epilogue': result(3) names no operand (3)
  cluster.epilogue result(3) ins(%b, %t : memref<3xf32>, memref<4x3xf32>) outs(%y : memref<4x3xf32>) attributes {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]} {
  ^bb0(%x: f32, %v: f32, %o: f32):
    linalg.yield %v : f32
  }
  func.return
}
// -----
func.func @f(%b: memref<3xf32>, %t: memref<4x3xf32>, %y: memref<4x3xf32>) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.epilogue': the map of operand 0 must take T's 2 dimensions and give one index per dimension of its buffer
  cluster.epilogue result(1) ins(%b, %t : memref<3xf32>, memref<4x3xf32>) outs(%y : memref<4x3xf32>) attributes {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>]} {
  ^bb0(%x: f32, %v: f32, %o: f32):
    linalg.yield %v : f32
  }
  func.return
}
// -----
func.func @f(%b: memref<3xf32>, %t: memref<4x3xf32>, %y: memref<4x3xf32>) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.epilogue': T (operand 1) must be reached through the identity map
  cluster.epilogue result(1) ins(%b, %t : memref<3xf32>, memref<4x3xf32>) outs(%y : memref<4x3xf32>) attributes {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>]} {
  ^bb0(%x: f32, %v: f32, %o: f32):
    linalg.yield %v : f32
  }
  func.return
}
// -----
func.func @f(%b: memref<3xf32>, %t: memref<4x3xf32>) {
  // CHECK: cluster_ops_errors.mlir:[[# @LINE + 1]]:3: error: 'cluster.epilogue': discard_result, but the body writes T (operand 1)
  cluster.epilogue result(1) ins(%b : memref<3xf32>) outs(%t : memref<4x3xf32>) attributes {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], discard_result} {
  ^bb0(%x: f32, %v: f32):
    linalg.yield %v : f32
  }
  func.return
}
