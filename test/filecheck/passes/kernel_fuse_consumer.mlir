// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,kernel-fuse-consumer' | filecheck %s

// A dense layer: the bias add (in place on the product, the gemm's last
// kernel) and the ReLU after it are one kernel; the ReLU's call is gone.
// Nothing after the ReLU reads the pre-activation %y: the fused kernel
// reads it (the bias add's in-place element) and writes only the ReLU's
// output. The zero fill before the product is not fused with the ReLU:
// the product and the bias add write the buffer in between. The output
// global the ReLU wrote is now named before the fused call.
// CHECK-LABEL: func.func @dense()
// CHECK:       func.call @k_gemm_0_0(%[[Y:.*]]) :
// CHECK-NEXT:  func.call @k_gemm_0_1(%{{.*}}, %{{.*}}, %[[Y]]) :
// CHECK-NEXT:  %[[Z:.*]] = memref.get_global @result0
// CHECK-NEXT:  func.call @k_gemm_0_2_fused0(%{{.*}}, %[[Y]], %[[Z]]) :
// CHECK-NOT:   func.call
// CHECK:       func.return
// CHECK-LABEL: func.func @k_gemm_0_2_fused0(
// CHECK-SAME:    attributes {cluster.kernel = "gemm"}
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%0, %1 : memref<8xf32>, memref<4x8xf32>) outs(%2 : memref<4x8xf32>)
// CHECK-NEXT:  ^bb0(%[[B:.*]]: f32, %[[ACC:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[S:.*]] = arith.addf %[[ACC]], %[[B]] : f32
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO]] : f32
// CHECK-NEXT:    linalg.yield %[[R]] : f32
// CHECK-NOT:   func.func @k_relu
func.func @dense(%x: tensor<4x6xf32>, %w: tensor<8x6xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<4x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %z = train.relu %y : (tensor<4x8xf32>) -> tensor<4x8xf32>
  func.return %z : tensor<4x8xf32>
}

// -----

// A ReLU's gradient and its scaling by the learning rate: the scaling is
// the gradient kernel's second output, the rank-0 rate read at one element
// (a constant map) in the gradient's flat loop; dz is still written (the
// caller returns it: a global, never dropped).
// CHECK-LABEL: func.func @scaled()
// CHECK:       func.call @k_grad_relu_0_0_fused0(%{{.*}}, %{{.*}}, %[[DZ:.*]], %{{.*}}, %[[S:.*]]) :
// CHECK-NOT:   func.call
// CHECK:       func.return
// CHECK-LABEL: func.func @k_grad_relu_0_0_fused0(
// CHECK-SAME:    attributes {cluster.kernel = "grad_relu"}
// CHECK:       linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
// CHECK:         %[[G:.*]] = arith.select
// CHECK-NEXT:    %[[M:.*]] = arith.mulf %[[G]], %{{.*}} : f32
// CHECK-NEXT:    linalg.yield %[[G]], %[[M]] : f32, f32
func.func @scaled(%y: tensor<4x8xf32>, %dy: tensor<4x8xf32>, %lr: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %dz = grad.relu %y, %dy : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = train.mul %dz, %lr : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  func.return %dz, %s : tensor<4x8xf32>, tensor<4x8xf32>
}
