// A cluster attribute that is unknown, on the wrong kind of op, of the
// wrong type or naming a missing symbol is a located error saying what is
// accepted.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

// The tier is the memref type's memory space, not an attribute.
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'memref.global': unknown attribute 'cluster.tier'; the cluster dialect's attributes are cluster.entry, cluster.kernel,
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.tier = "L1"} : () -> ()
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'memref.global': attribute 'cluster.kernel' belongs on func.func or riscv_func.func
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.kernel = "relu"} : () -> ()
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'memref.global': attribute 'cluster.role' must be #cluster.role<...>, got "input"
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.role = "input"} : () -> ()
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'memref.global': attribute 'cluster.alias_of' names @w, which is not defined
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.alias_of = @w} : () -> ()
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'memref.global': attribute 'cluster.alias_of' must be a symbol reference (@global), got "w"
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.alias_of = "w"} : () -> ()
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'func.func': attribute 'cluster.parallel' must be [loop, trip count] (array<i64: ...> of 2 values, each >= 0), got array<i64: 0>
func.func @k(%x: memref<16xf32>) attributes {cluster.parallel = array<i64: 0>} {
  func.return
}
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'func.func': attribute 'cluster.parallel' must be [loop, trip count] (array<i64: ...> of 2 values, each >= 0), got [0 : i64, 16 : i64]
func.func @k(%x: memref<16xf32>) attributes {cluster.parallel = [0 : i64, 16 : i64]} {
  func.return
}
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'func.func': attribute 'cluster.tile' must be the tile of each loop (array<i64: ...>, each >= 1), got array<i64: 4, 0>
func.func @k(%x: memref<16xf32>) attributes {cluster.tile = array<i64: 4, 0>} {
  func.return
}
// -----
func.func @step() {
  // CHECK: cluster_verify.mlir:[[# @LINE + 1]]:3: error: 'memref.alloc': attribute 'cluster.offset' must be a byte offset (an i64 integer >= 0), got -8 : i64
  %0 = memref.alloc() {cluster.offset = -8 : i64} : memref<4xf32>
  func.return
}
// -----
func.func @step() {
  // CHECK: cluster_verify.mlir:[[# @LINE + 1]]:3: error: 'memref.alloc': attribute 'cluster.memory_plan' belongs on builtin.module or func.func
  %0 = memref.alloc() {cluster.memory_plan = #cluster.memory_plan<arena = 16>} : memref<4xf32>
  func.return
}
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:1: error: 'func.func': attribute 'cluster.entry' must be a unit attribute, got true
func.func @step() attributes {cluster.entry = true} {
  func.return
}
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:71: error: unknown memory plan field 'l4'; expected one of data, arena, l1, l2, l3, tiles, tiled_calls, dma_in, dma_out
builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<l4 = 16>} {}
// -----
// CHECK: cluster_verify.mlir:[[# @LINE + 1]]:132: error: Expected `input`, `param`, `const`, `output`, `arena`, or `tiles`.
"memref.global"() <{sym_name = "x", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<weight>} : () -> ()
