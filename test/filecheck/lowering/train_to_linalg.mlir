// RUN: tdopt %s -p convert-train-to-linalg,linalg-generalize-named-ops,plan-memory | filecheck %s

// A forward op and an SGD update: every tensor that crosses the function
// boundary is a global named after it; the matmul result lives in the arena
// and its bytes are reused by the step `lr * g` once relu has read it; the
// update is written over @w, and `w_updated` aliases @w's bytes.
// Each global's tier (as plan-memory placed it) is the memory space of its
// type; the alias shares @w's bytes and has no placement of its own.
// CHECK-LABEL: builtin.module attributes {cluster.memory_plan = #cluster.memory_plan<data = 160, arena = 48, l1 = 208, l2 = 0>}
// CHECK: sym_name = "__tdopt_arena", type = memref<48xi8, #tier.space<l1>>{{.*}}cluster.role = #cluster.role<arena>
// CHECK: sym_name = "x", type = memref<2x4xf32, #tier.space<l1>>{{.*}}cluster.role = #cluster.role<input>, cluster.tensor = "x"
// CHECK: sym_name = "w_updated", type = memref<4x3xf32>,{{.*}}cluster.role = #cluster.role<output>, cluster.tensor = "w_updated", cluster.alias_of = @w
// CHECK: sym_name = "w", type = memref<4x3xf32, #tier.space<l1>>{{.*}}cluster.role = #cluster.role<param>, cluster.tensor = "w"
// the rank-0 learning rate initialises a 1-element memref: its value has that
// shape, as upstream MLIR requires
// CHECK: sym_name = "const_5", type = memref<1xf32, #tier.space<l1>>, initial_value = dense<1.000000e-02> : tensor<1xf32>
// A get_global returns the placed type, cast to the plain one kernels take.
// CHECK-LABEL: func.func @step()
// CHECK-SAME:  cluster.entry, cluster.memory_plan = #cluster.memory_plan<arena = 48>
// CHECK:      %[[WL1:.*]] = memref.get_global @w : memref<4x3xf32, #tier.space<l1>>
// CHECK-NEXT: %[[W:.*]] = "memref.memory_space_cast"(%[[WL1]]) : (memref<4x3xf32, #tier.space<l1>>) -> memref<4x3xf32>
// CHECK-NEXT: %[[Y:.*]] = memref.alloc() {cluster.offset = 0 : i64} : memref<2x3xf32>
// CHECK:      %[[S:.*]] = memref.alloc() {cluster.offset = 0 : i64} : memref<4x3xf32>
// CHECK-NEXT: func.call @k_mul_2_0(%{{.*}}, %{{.*}}, %[[S]])
// CHECK-NEXT: func.call @k_sub_3_0(%[[W]], %[[S]], %[[W]])
// CHECK-NEXT: func.return
// The relu is one flat loop over the six elements.
// CHECK-LABEL: func.func @k_relu_1_0(
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0 : i64, 1 : i64]] : memref<2x3xf32> into memref<6xf32>
// CHECK: iterator_types = ["parallel"]
func.func @step(%x: tensor<2x4xf32>, %g: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<4x3xf32>) attributes {train.result_names = ["y", "w_updated"]} {
  %w = train.param @w trainable = dense<0.5> : tensor<4x3xf32>
  %y = train.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %r = train.relu %y : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %lr = train.constant dense<0.01> : tensor<f32>
  %s = train.mul %g, %lr : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
  %wu = train.sub %w, %s : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  func.return %r, %wu : tensor<2x3xf32>, tensor<4x3xf32>
}
