// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-consumer,kernel-schedule-epilogues' | filecheck %s

// A ReLU's gradient reads the product %dx element for element: it moves up
// past the unrelated scaling of %v to right after the product's call, with
// the output global it writes.
// CHECK-LABEL: func.func @moved()
// CHECK:       func.call @k_matmul_0_1(%{{.*}}, %{{.*}}, %[[DX:.*]]) :
// CHECK-NEXT:  %[[G:.*]] = memref.get_global @result0
// CHECK-NEXT:  func.call @k_grad_relu_2_0(%{{.*}}, %[[DX]], %[[G]]) :
// CHECK-NEXT:  %{{.*}} = memref.get_global @result1
// CHECK-NEXT:  func.call @k_mul_1_0(
func.func @moved(%dy: tensor<16x12xf32>, %w2: tensor<12x20xf32>, %z: tensor<16x20xf32>, %v: tensor<12x20xf32>, %lr: tensor<f32>) -> (tensor<16x20xf32>, tensor<12x20xf32>) {
  %dx = train.matmul %dy, %w2 : (tensor<16x12xf32>, tensor<12x20xf32>) -> tensor<16x20xf32>
  %u = train.mul %v, %lr : (tensor<12x20xf32>, tensor<f32>) -> tensor<12x20xf32>
  %g = grad.relu %z, %dx : (tensor<16x20xf32>, tensor<16x20xf32>) -> tensor<16x20xf32>
  func.return %g, %u : tensor<16x20xf32>, tensor<12x20xf32>
}

// -----

// The gradient's mask %m is computed between the product and the gradient
// (by another product, which nothing fuses with): the gradient stays after it.
// CHECK-LABEL: func.func @kept()
// CHECK:       func.call @k_matmul_0_1(%{{.*}}, %{{.*}}, %[[DX:.*]]) :
// CHECK:       func.call @k_matmul_1_1(%{{.*}}, %{{.*}}, %[[M:.*]]) :
// CHECK-NEXT:  %{{.*}} = memref.get_global @result0
// CHECK-NEXT:  func.call @k_grad_relu_2_0(%[[M]], %[[DX]], %{{.*}}) :
func.func @kept(%dy: tensor<16x12xf32>, %w2: tensor<12x20xf32>, %a: tensor<16x8xf32>, %c: tensor<8x20xf32>) -> tensor<16x20xf32> {
  %dx = train.matmul %dy, %w2 : (tensor<16x12xf32>, tensor<12x20xf32>) -> tensor<16x20xf32>
  %m = train.matmul %a, %c : (tensor<16x8xf32>, tensor<8x20xf32>) -> tensor<16x20xf32>
  %g = grad.relu %m, %dx : (tensor<16x20xf32>, tensor<16x20xf32>) -> tensor<16x20xf32>
  func.return %g : tensor<16x20xf32>
}
