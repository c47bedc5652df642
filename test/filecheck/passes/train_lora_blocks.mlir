// RUN: tdopt %s -p 'train-lora{rank=2}' | filecheck %s
// RUN: tdopt %s -p 'train-lora{rank=2 blocks=all}' | filecheck %s --check-prefix=ALL
// RUN: tdopt %s --lora=2 | filecheck %s
// RUN: tdopt %s --verify-diagnostics -p 'train-lora{blocks=first}' | filecheck %s --check-prefix=BAD

// Two blocks (block indices in the weight names, as ONNX exports of
// PyTorch's `blocks.N` modules have them) and a head. By default only the
// last block's linear layers get adapters (TrainDeeploy's LoRA setting);
// blocks=all adapts both. The head never does.
// CHECK-LABEL: func.func @two_blocks
// CHECK-NOT: blocks_0_fc_w_lora_A
// CHECK-DAG: train.param @blocks_1_fc_w_lora_A trainable
// CHECK-DAG: train.param @blocks_1_proj_w_lora_A trainable
// CHECK-NOT: head_w_lora
// ALL-LABEL: func.func @two_blocks
// ALL-DAG: train.param @blocks_0_fc_w_lora_A trainable
// ALL-DAG: train.param @blocks_1_fc_w_lora_A trainable
// ALL-DAG: train.param @blocks_1_proj_w_lora_A trainable
// ALL-NOT: head_w_lora
// BAD: error: train-lora: blocks must be 'last' or 'all', got 'first'
func.func @two_blocks(%x: tensor<2x8xf32>, %labels: tensor<2xi64>) -> tensor<f32> {
  %w0 = train.param @blocks_0_fc_w trainable : tensor<8x8xf32>
  %w1 = train.param @blocks_1_fc_w trainable : tensor<8x8xf32>
  %w2 = train.param @blocks_1_proj_w trainable : tensor<8x8xf32>
  %wh = train.param @head_w trainable : tensor<8x3xf32>
  %h0 = train.matmul %x, %w0 : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %h1 = train.matmul %h0, %w1 : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %h2 = train.matmul %h1, %w2 : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %o = train.matmul %h2, %wh : (tensor<2x8xf32>, tensor<8x3xf32>) -> tensor<2x3xf32>
  %l = train.cross_entropy %o, %labels : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
