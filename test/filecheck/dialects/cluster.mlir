// Every attribute of the cluster dialect parses, verifies (on the ops it
// belongs on) and prints back unchanged.
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s
// Stock xdsl-opt sees the dialect through the xdsl.universe entry point:
// RUN: xdsl-opt %s | filecheck %s

// CHECK:      builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 96, arena = 64, l1 = 160, l2 = 0, l3 = 0, tiles = 32, tiled_calls = 1, dma_in = 16, dma_out = 8>} {
// CHECK-NEXT:   "memref.global"() <{sym_name = "__tdopt_arena", type = memref<64xi8, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<arena>} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "__tdopt_arena_l3", type = memref<16xi8, #tier.space<l3>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<arena>} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "__tdopt_tiles", type = memref<32xi8, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<tiles>} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "x", type = memref<4xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "x"} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "w", type = memref<4xf32, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<param>, cluster.tensor = "w"} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "c", type = memref<4xf32, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<const>, cluster.tensor = "c"} : () -> ()
// CHECK-NEXT:   "memref.global"() <{sym_name = "w_updated", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<output>, cluster.tensor = "w_updated", cluster.alias_of = @w} : () -> ()
// CHECK-NEXT:   func.func @step() attributes {cluster.entry, cluster.memory_plan = #cluster.memory_plan<arena = 64>} {
// CHECK-NEXT:     %0 = memref.alloc() {cluster.offset = 8 : i64, cluster.scratch} : memref<4xf32>
// CHECK-NEXT:     %1 = memref.alloc() {cluster.offset = 0 : i64, cluster.arena = @__tdopt_arena_l3} : memref<4xf32>
// CHECK-NEXT:     func.return
// CHECK-NEXT:   }
// CHECK-NEXT:   func.func @k(%0: memref<16x4xf32>) attributes {cluster.kernel = "relu", cluster.parallel = array<i64: 0, 16>, cluster.untiled = "linalg.index in the body"} {
// CHECK-NEXT:     func.return
// CHECK-NEXT:   }
// CHECK-NEXT:   func.func @k_t(%0: memref<4x4xf32>) attributes {cluster.kernel = "relu", cluster.tile = array<i64: 4, 4>} {
// CHECK-NEXT:     func.return
// CHECK-NEXT:   }
// CHECK-NEXT: }
builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 96, arena = 64, l1 = 160, l2 = 0, l3 = 0, tiles = 32, tiled_calls = 1, dma_in = 16, dma_out = 8>} {
  "memref.global"() <{sym_name = "__tdopt_arena", type = memref<64xi8, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<arena>} : () -> ()
  "memref.global"() <{sym_name = "__tdopt_arena_l3", type = memref<16xi8, #tier.space<l3>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<arena>} : () -> ()
  "memref.global"() <{sym_name = "__tdopt_tiles", type = memref<32xi8, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<tiles>} : () -> ()
  "memref.global"() <{sym_name = "x", type = memref<4xf32, #tier.space<l2>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<input>, cluster.tensor = "x"} : () -> ()
  "memref.global"() <{sym_name = "w", type = memref<4xf32, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<param>, cluster.tensor = "w"} : () -> ()
  "memref.global"() <{sym_name = "c", type = memref<4xf32, #tier.space<l1>>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<const>, cluster.tensor = "c"} : () -> ()
  "memref.global"() <{sym_name = "w_updated", type = memref<4xf32>, initial_value, sym_visibility = "public"}> {cluster.role = #cluster.role<output>, cluster.tensor = "w_updated", cluster.alias_of = @w} : () -> ()
  func.func @step() attributes {cluster.entry, cluster.memory_plan = #cluster.memory_plan<arena = 64>} {
    %0 = memref.alloc() {cluster.offset = 8 : i64, cluster.scratch} : memref<4xf32>
    %1 = memref.alloc() {cluster.offset = 0 : i64, cluster.arena = @__tdopt_arena_l3} : memref<4xf32>
    func.return
  }
  func.func @k(%0: memref<16x4xf32>) attributes {cluster.kernel = "relu", cluster.parallel = array<i64: 0, 16>, cluster.untiled = "linalg.index in the body"} {
    func.return
  }
  func.func @k_t(%0: memref<4x4xf32>) attributes {cluster.kernel = "relu", cluster.tile = array<i64: 4, 4>} {
    func.return
  }
}
