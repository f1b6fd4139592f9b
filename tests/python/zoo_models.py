"""Models written the way tutorials and users write them, for the export
tests (test_export_zoo.py) and the ONNX tests (test_onnx_zoo.py): each
returns a loss (or a tuple or dict holding one) of its inputs."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# -- convolutional networks ------------------------------------------------------
class TutorialNet(nn.Module):
    """The CIFAR-10 network of PyTorch's 60-minute tutorial, flattening with
    x.view(x.size(0), -1), its loss a module."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.criterion = nn.CrossEntropyLoss()

    def forward(self, x, labels):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.criterion(self.fc3(x), labels)


class SequentialNet(nn.Module):
    """nn.Sequential with in-place ReLUs, nn.Flatten, nn.Dropout (compared in
    eval mode), AdaptiveAvgPool2d((1, 1)); torch.flatten(x, 1) and x.shape[0]."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, 32),
                                        nn.ReLU(inplace=True), nn.Dropout(), nn.Linear(32, 10))
        self.side = nn.Linear(16, 10)

    def forward(self, x, y):
        n = x.shape[0]
        h = self.pool(self.features(x))
        logits = self.classifier(h) + self.side(torch.flatten(h, 1)) / n
        return F.cross_entropy(logits, y)


class GapNet(nn.Module):
    """F.relu(x, inplace=True), global average pooling written two ways
    (x.mean(dim=(2, 3)) and nn.AdaptiveAvgPool2d(1)), torch.cat on dim 1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, 5)

    def forward(self, x, y):
        h = F.relu(self.conv(x), inplace=True)
        a = h.mean(dim=(2, 3))
        b = self.gap(h).view(h.size(0), -1)
        return F.cross_entropy(self.fc(torch.cat([a, b], dim=1)), y)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, as written there."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class TinyResNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True))
        self.layer1 = BasicBlock(8, 8)
        self.layer2 = BasicBlock(8, 16, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, classes)

    def forward(self, x, y):
        x = self.layer2(self.layer1(self.stem(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return F.cross_entropy(self.fc(x), y)


class MnistNet(nn.Module):
    """pytorch/examples' MNIST network (on 16x16 images): dropouts as
    modules, F.max_pool2d(x, 2), torch.flatten(x, 1), log_softmax and
    nll_loss; also returns the accuracy, (argmax == target).float().mean()."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(2304, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x, target):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        output = F.log_softmax(self.fc2(x), dim=1)
        loss = F.nll_loss(output, target)
        acc = (output.argmax(dim=1) == target).float().mean()
        return loss, acc


class VGGish(nn.Module):
    """torchvision's VGG layout in small: nn.ReLU(True), AdaptiveAvgPool2d
    to 2x2, x.view(x.size(0), -1), a classifier with Dropout."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(True),
                                      nn.MaxPool2d(2, 2), nn.Conv2d(8, 8, 3, padding=1),
                                      nn.ReLU(True))
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Linear(32, 16), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(16, 5))
    def forward(self, x, y):
        x = self.avgpool(self.features(x)); x = x.view(x.size(0), -1)
        return F.cross_entropy(self.classifier(x), y)


class SE(nn.Module):
    """Squeeze-and-excitation: b, c, _, _ = x.size(), y.expand_as(x)."""

    def __init__(self, c, r=2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(c, c // r, bias=False), nn.ReLU(inplace=True),
                                nn.Linear(c // r, c, bias=False), nn.Sigmoid())
    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


class MobileSE(nn.Module):
    """MobileNet's depthwise-separable block (groups = channels, BatchNorm2d
    in training, ReLU6(inplace=True)), an SE block, a DenseNet-style cat,
    x.mean([2, 3])."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Sequential(nn.Conv2d(4, 4, 3, 1, 1, groups=4, bias=False), nn.BatchNorm2d(4),
                                nn.ReLU6(inplace=True), nn.Conv2d(4, 8, 1, bias=False),
                                nn.BatchNorm2d(8), nn.ReLU6(inplace=True))
        self.se = SE(8); self.fc = nn.Linear(8 + 8, 3)
    def forward(self, x, y):
        h = self.se(self.dw(x))
        dense = torch.cat([h, self.dw(x)], 1)
        return F.cross_entropy(self.fc(dense.mean([2, 3])), y)


class TextCNN(nn.Module):
    """Kim's TextCNN: an embedding with padding_idx, conv over
    x.transpose(1, 2), max over time with .max(dim=2)[0], F.dropout with
    training=self.training, class weights as a literal tensor."""

    def __init__(self, V=30, E=8):
        super().__init__()
        self.emb = nn.Embedding(V, E, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(E, 6, k) for k in (2, 3)])
        self.fc = nn.Linear(12, 4)
    def forward(self, tokens, y):
        x = self.emb(tokens).transpose(1, 2)
        pooled = [F.relu(conv(x)).max(dim=2)[0] for conv in self.convs]
        x = F.dropout(torch.cat(pooled, 1), 0.5, training=self.training)
        return F.cross_entropy(self.fc(x), y, weight=torch.tensor([1., 2., 1., .5]))


class Distill(nn.Module):
    """Knowledge distillation: F.kl_div of temperature-scaled log_softmax
    and softmax ('batchmean'), a KLDivLoss made inside forward
    (log_target), weighted cross-entropy, a masked mean, and MSE against
    F.one_hot(y, 5).float()."""

    def __init__(self):
        super().__init__()
        self.s = nn.Linear(6, 5)
        self.register_buffer("cw", torch.tensor([1., 2., 1., 1., .5]))
    def forward(self, x, teacher_logits, y, mask):
        s = self.s(x)
        T = 2.0
        kd = F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(teacher_logits / T, dim=-1),
                      reduction="batchmean") * T * T
        ce = F.cross_entropy(s, y, weight=self.cw)
        pooled = (s * mask.unsqueeze(-1)).sum(0) / mask.sum(0, keepdim=True)
        mse = F.mse_loss(torch.sigmoid(s), F.one_hot(y, 5).float())
        kl = nn.KLDivLoss(reduction="sum", log_target=True)(F.log_softmax(s, -1),
                                                             F.log_softmax(teacher_logits, -1))
        return kd + ce + pooled.pow(2).mean() + mse + kl


# -- transformers -------------------------------------------------------------------
class TorchAttention(nn.Module):
    """nn.MultiheadAttention (sequence-first or batch_first) with a bool
    causal attn_mask and a key_padding_mask, using its averaged weights."""

    def __init__(self, batch_first):
        super().__init__()
        self.batch_first = batch_first
        self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)

    def forward(self, x, pad):
        T = x.size(1) if self.batch_first else x.size(0)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        y, w = self.attn(x, x, x, attn_mask=causal, key_padding_mask=pad)
        return y.pow(2).sum() + (w * w).sum()


class TorchTransformer(nn.Module):
    """nn.TransformerEncoderLayer (batch_first, ReLU) and an
    nn.TransformerEncoder of two pre-norm GELU layers, traced through to
    their attention, linear, dropout and norm modules."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", norm_first=True), 2)

    def forward(self, x, y):
        h = self.layer(x)
        h = self.encoder(h.transpose(0, 1)).transpose(0, 1)
        return F.mse_loss(h, y)


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention: a fused c_attn, heads by view/transpose with B,
    T, C from x.size(), a float causal buffer sliced [:, :, :T, :T] and
    compared with 0 in masked_fill, attention dropout."""

    def __init__(self, C, nh, T):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)
        self.n_head, self.n_embd = nh, C
        self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class GPTBlock(nn.Module):
    def __init__(self, C, nh, T):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.attn = CausalSelfAttention(C, nh, T)
        self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(C, 4 * C), c_proj=nn.Linear(4 * C, C),
                                      act=nn.GELU(approximate="tanh")))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        m = self.mlp
        return x + m.c_proj(m.act(m.c_fc(self.ln_2(x))))


class NanoGPT(nn.Module):
    """nanoGPT's model: token and position embeddings (positions from
    torch.arange on idx.device), an assert on the length, blocks in a
    ModuleList, the LM head tied to the token embedding, and
    F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1);
    returns (logits, loss)."""

    def __init__(self, V=29, C=32, nh=4, T=16, L=2):
        super().__init__()
        self.block_size = T
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C), drop=nn.Dropout(0.1),
            h=nn.ModuleList([GPTBlock(C, nh, T) for _ in range(L)]), ln_f=nn.LayerNorm(C)))
        self.lm_head = nn.Linear(C, V, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.block_size, f"Cannot forward sequence of length {t}"
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        return logits, loss


class HandAttention(nn.Module):
    """Attention from raw parameters: x @ w.t(), chunk, reshape/permute,
    x.softmax(-1) and torch.softmax(x, dim=-1), F.linear, .float(),
    .reshape(-1), a hand-written LayerNorm (mean and var with keepdim) and a
    numerically stable softmax with x.max(-1, keepdim=True)[0]."""

    def __init__(self, C=16, nh=2):
        super().__init__()
        self.nh = nh
        self.w_qkv = nn.Parameter(torch.randn(3 * C, C) * 0.2)
        self.w_o = nn.Parameter(torch.randn(C, C) * 0.2)
        self.b_o = nn.Parameter(torch.zeros(C))
        self.gamma = nn.Parameter(torch.ones(C) + 0.1 * torch.randn(C))
        self.beta = nn.Parameter(0.1 * torch.randn(C))

    def norm(self, x, eps=1e-5):
        mu = x.mean(-1, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)
        return (x - mu) / torch.sqrt(var + eps) * self.gamma + self.beta

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (self.norm(x) @ self.w_qkv.t()).chunk(3, dim=-1)
        q = q.reshape(B, T, self.nh, -1).permute(0, 2, 1, 3)
        k = k.reshape(B, T, self.nh, -1).permute(0, 2, 3, 1)
        v = v.reshape(B, T, self.nh, -1).permute(0, 2, 1, 3)
        s = q @ k / math.sqrt(C // self.nh)
        a1 = s.softmax(-1)
        a2 = torch.softmax(s, dim=-1)
        e = torch.exp(s - s.max(-1, keepdim=True)[0])
        a3 = e / e.sum(-1, keepdim=True)
        y = ((a1 + a2 + a3) / 3 @ v).permute(0, 2, 1, 3).contiguous().reshape(B, T, C)
        out = F.linear(y, self.w_o, self.b_o).float()
        return out.reshape(-1).pow(2).mean()


class AnnotatedAttention(nn.Module):
    """The Annotated Transformer's style: a sinusoidal positional encoding
    buffer sliced by x.size(1), torch.matmul with k.transpose(-2, -1) /
    math.sqrt(d), an integer mask input compared in masked_fill(mask == 0,
    -1e9); then x.new_zeros, F.normalize, (h > 0).float() and norm(dim=-1)."""

    def __init__(self, d=16, max_len=10):
        super().__init__()
        pe = torch.zeros(max_len, d)
        position = torch.arange(0, max_len).unsqueeze(1).float()
        div_term = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))
        self.lin = nn.Linear(d, d)
        self.d = d

    def forward(self, x, mask):
        x = x * math.sqrt(self.d) + self.pe[:, :x.size(1)]
        scores = torch.matmul(x, x.transpose(-2, -1)) / math.sqrt(self.d)
        scores = scores.masked_fill(mask == 0, -1e9)
        p = F.softmax(scores, dim=-1)
        h = self.lin(torch.matmul(p, x))
        h = torch.cat([x.new_zeros(x.size(0), 1, self.d), h], dim=1)
        return (F.normalize(h, dim=-1).pow(2).sum() * 0.1 + (h > 0).float().mean()
                + h.norm(dim=-1).mean())


class Activations(nn.Module):
    """Activation modules and functions gradc writes as formulas (Hardswish,
    Hardsigmoid, Mish, SELU, LogSigmoid, Softsign, per-channel PReLU),
    global max pooling, GPT-2's Conv1D (torch.addmm), ~mask, a softmax with
    the dtype it has, and a dict result."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 3, padding=1)
        self.prelu = nn.PReLU(6)
        self.acts = nn.Sequential(nn.Hardswish(), nn.Mish())
        self.gmp = nn.AdaptiveMaxPool2d(1)
        self.w = nn.Parameter(torch.randn(6, 5) * 0.3)
        self.b = nn.Parameter(torch.randn(5) * 0.1)
        self.selu, self.logsig, self.softsign = nn.SELU(), nn.LogSigmoid(), nn.Softsign()

    def forward(self, x, mask):
        h = self.acts(self.prelu(self.conv(x)))
        g = self.gmp(h).flatten(1) + F.hardsigmoid(h).mean(dim=(2, 3))
        z = torch.addmm(self.b, g, self.w)
        z = self.selu(z) + self.logsig(z) + self.softsign(z) + F.mish(z)
        z = z.masked_fill(~mask, 0.0)
        p = F.softmax(z, dim=-1, dtype=torch.float32)
        return {"loss": (p * z).sum(), "probs": p}


class CausalConv(nn.Module):
    """A TCN-style causal Conv1d: F.pad(x, (k - 1, 0)) on the left, a
    negative pad that crops, nn.ZeroPad2d, a constant pad value."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, dilation=2)
        self.pad2d = nn.ZeroPad2d((1, 2, 0, 1))

    def forward(self, x):
        h = torch.tanh(self.conv(F.pad(x, (4, 0))))
        h = F.pad(h, (-1, 1, 1, 1), value=0.5)
        return (self.pad2d(h.unsqueeze(1)) ** 2).mean()


class SizeLoops(nn.Module):
    """Python over sizes: the tutorial's num_flat_features loop over
    x.size()[1:], len(x), range(x.size(1)) with torch.stack, x.dim() in an
    if, and an in-place chain where an alias sees the write."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, x, y):
        if x.dim() == 3:
            n = 1
            for s in x.size()[1:]:
                n *= s
            x = x.view(-1, n)
        rows = [x[:, i] * (i + 1) for i in range(x.size(1))]
        x = torch.stack(rows, dim=1) / len(x)
        h = self.fc(x)
        kept = h            # an alias of h: sees the in-place writes
        h.add_(0.25)
        h.relu_()
        h = h + kept.tanh()
        return F.mse_loss(self.out(h), y)


class EinsumAttention(nn.Module):
    """Attention written with torch.einsum (spaces in the equations, as in
    many repositories): 'b h i d, b h j d -> b h i j' and back, a
    projection by 'b n d, e d -> b n e'."""

    def __init__(self, C=16, nh=2):
        super().__init__()
        self.nh = nh
        self.to_qkv = nn.Linear(C, 3 * C, bias=False)
        self.w_out = nn.Parameter(torch.randn(C, C) * 0.2)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, N, self.nh, -1).transpose(1, 2) for t in (q, k, v))
        sim = torch.einsum("b h i d, b h j d -> b h i j", q, k) * (C // self.nh) ** -0.5
        attn = sim.softmax(dim=-1)
        out = torch.einsum("b h i j, b h j d -> b h i d", attn, v)
        out = out.transpose(1, 2).reshape(B, N, C)
        return torch.einsum("b n d, e d -> b n e", out, self.w_out).pow(2).mean()
