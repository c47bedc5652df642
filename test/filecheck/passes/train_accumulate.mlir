// RUN: tdopt %s --split-input-file -p 'train-autodiff,train-accumulate{micro_batches=2},train-sgd{lr=0.01}' | filecheck %s
// RUN: tdopt %s --split-input-file -p 'train-autodiff,train-accumulate{micro_batches=1}' | filecheck %s --check-prefix=ONE

// Two micro-batches of one sample: the arguments take two samples, each
// micro-batch runs forward and backward on its slice, the gradients and the
// loss are summed as each micro-batch ends and scaled by 1/2 once; the
// parameters and the seed constant are shared, not repeated.
// CHECK-LABEL: func.func @head
// CHECK-SAME: (%f: tensor<2x8xf32>, %labels: tensor<2xi64>) -> (tensor<f32>, tensor<2x8xf32>, tensor<2xf32>)
// CHECK: %[[F0:.*]] = train.slice %f {starts = array<i64: 0, 0>, sizes = array<i64: 1, 8>} : (tensor<2x8xf32>) -> tensor<1x8xf32>
// CHECK: %[[L0:.*]] = train.slice %labels {starts = array<i64: 0>, sizes = array<i64: 1>} : (tensor<2xi64>) -> tensor<1xi64>
// CHECK: %[[O0:.*]] = train.gemm %[[F0]], %fc, %fb
// CHECK: %[[LOSS0:.*]] = train.cross_entropy %[[O0]], %[[L0]]
// CHECK: %[[GW0:.*]] = train.gemm %{{.*}}, %[[F0]] {trans_a}
// CHECK: %[[F1:.*]] = train.slice %f {starts = array<i64: 1, 0>, sizes = array<i64: 1, 8>}
// CHECK: %[[L1:.*]] = train.slice %labels {starts = array<i64: 1>, sizes = array<i64: 1>}
// CHECK: %[[O1:.*]] = train.gemm %[[F1]], %fc, %fb
// CHECK: %[[LOSS1:.*]] = train.cross_entropy %[[O1]], %[[L1]]
// CHECK: %[[GW1:.*]] = train.gemm %{{.*}}, %[[F1]] {trans_a}
// CHECK: %[[LSUM:.*]] = train.add %[[LOSS0]], %[[LOSS1]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK: %[[GSUM:.*]] = train.add %[[GW0]], %[[GW1]] : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: %[[HALF:.*]] = train.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[LOSS:.*]] = train.mul %[[LSUM]], %[[HALF]]
// CHECK: %[[G:.*]] = train.mul %[[GSUM]], %[[HALF]] : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
// CHECK-NOT: train.cross_entropy
// CHECK: %[[STEP:.*]] = train.mul %[[G]], %{{.*}} : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
// CHECK: %[[W:.*]] = train.sub %fc, %[[STEP]]
// CHECK: func.return %[[LOSS]], %[[W]], %{{.*}} : tensor<f32>, tensor<2x8xf32>, tensor<2xf32>

// One micro-batch leaves the step as train-autodiff made it.
// ONE-LABEL: func.func @head
// ONE-SAME: (%f: tensor<1x8xf32>, %labels: tensor<1xi64>)
// ONE-NOT: train.slice
func.func @head(%f: tensor<1x8xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %fc = train.param @fc_w trainable : tensor<2x8xf32>
  %fb = train.param @fc_b trainable : tensor<2xf32>
  %o = train.gemm %f, %fc, %fb {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}

