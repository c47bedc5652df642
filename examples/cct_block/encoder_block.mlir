// A small Compact Convolutional Transformer encoder block (2 heads, model
// width 8, MLP width 16, 4 tokens) with sequence pooling, a 3-class head and
// the cross-entropy loss, written directly in the train dialect. Parameters
// come from encoder_block.npz (make_inputs.py writes it beside this file).
builtin.module attributes {train.weights = "encoder_block.npz"} {
  func.func @main(%tokens: tensor<1x4x8xf32>, %label: tensor<1xi64>) -> (tensor<1x3xf32>, tensor<f32>) attributes {train.arg_names = ["tokens", "label"], train.result_names = ["logits", "loss"]} {
    // pre-norm multi-head self-attention
    %ln1_s = train.param @ln1.scale : tensor<8xf32>
    %ln1_b = train.param @ln1.bias : tensor<8xf32>
    %h = train.layernorm %tokens, %ln1_s, %ln1_b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %wq = train.param @attn.q trainable : tensor<8x8xf32>
    %wk = train.param @attn.k trainable : tensor<8x8xf32>
    %wv = train.param @attn.v trainable : tensor<8x8xf32>
    %q0 = train.matmul %h, %wq : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %k0 = train.matmul %h, %wk : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %v0 = train.matmul %h, %wv : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %q1 = train.reshape %q0 : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
    %k1 = train.reshape %k0 : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
    %v1 = train.reshape %v0 : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
    %q = train.transpose %q1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
    %kt = train.transpose %k1 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
    %v = train.transpose %v1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
    %s0 = train.matmul %q, %kt : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
    %scale = train.constant dense<0.5> : tensor<f32>
    %s1 = train.mul %s0, %scale : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
    %p = train.softmax %s1 {axis = -1 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
    %a0 = train.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
    %a1 = train.transpose %a0 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
    %a2 = train.reshape %a1 : (tensor<1x4x2x4xf32>) -> tensor<1x4x8xf32>
    %wo = train.param @attn.proj.w trainable : tensor<8x8xf32>
    %bo = train.param @attn.proj.b trainable : tensor<8xf32>
    %o0 = train.matmul %a2, %wo : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %o1 = train.add %o0, %bo : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %r1 = train.add %tokens, %o1 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
    // pre-norm MLP with GELU
    %ln2_s = train.param @ln2.scale : tensor<8xf32>
    %ln2_b = train.param @ln2.bias : tensor<8xf32>
    %g = train.layernorm %r1, %ln2_s, %ln2_b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %w1 = train.param @mlp.fc1.w trainable : tensor<8x16xf32>
    %b1 = train.param @mlp.fc1.b trainable : tensor<16xf32>
    %m0 = train.matmul %g, %w1 : (tensor<1x4x8xf32>, tensor<8x16xf32>) -> tensor<1x4x16xf32>
    %m1 = train.add %m0, %b1 : (tensor<1x4x16xf32>, tensor<16xf32>) -> tensor<1x4x16xf32>
    %m2 = train.gelu %m1 : (tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
    %w2 = train.param @mlp.fc2.w trainable : tensor<16x8xf32>
    %b2 = train.param @mlp.fc2.b trainable : tensor<8xf32>
    %m3 = train.matmul %m2, %w2 : (tensor<1x4x16xf32>, tensor<16x8xf32>) -> tensor<1x4x8xf32>
    %m4 = train.add %m3, %b2 : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
    %r2 = train.add %r1, %m4 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
    // sequence pooling (mean over tokens) and the classifier
    %pooled = train.reduce_mean %r2 {axes = array<i64: 1>} : (tensor<1x4x8xf32>) -> tensor<1x8xf32>
    %fc_w = train.param @head.w trainable : tensor<3x8xf32>
    %fc_b = train.param @head.b trainable : tensor<3xf32>
    %logits = train.gemm %pooled, %fc_w, %fc_b {trans_b} : (tensor<1x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<1x3xf32>
    %loss = train.cross_entropy %logits, %label : (tensor<1x3xf32>, tensor<1xi64>) -> tensor<f32>
    func.return %logits, %loss : tensor<1x3xf32>, tensor<f32>
  }
}
