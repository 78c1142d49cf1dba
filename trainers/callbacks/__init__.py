"""`RunDoctorCallback`: the instruments of `trainers.hooks` as one line in a framework's trainer.

- `trainers.callbacks.lightning`     PyTorch Lightning 2.x (`lightning` or `pytorch_lightning`)
- `trainers.callbacks.huggingface`   `transformers.Trainer`

Each module imports only its own framework; nothing is imported here. Both write the canonical
tags (see `trainers.hooks`) into the framework's own TensorBoard folder, from rank 0 only, at
the instruments' default cadence (every 100 optimizer steps; histograms every 1000).

The examples below are shown verbatim by the README and the app's Guide page and run by the
tests (`model`, the loaders and `train_ds` are the user's); they live here, not beside the
callbacks, so that the app can show them without importing either framework.
"""

LIGHTNING_EXAMPLE = """\
from lightning.pytorch import Trainer
from trainers.callbacks.lightning import RunDoctorCallback

trainer = Trainer(max_epochs=5, callbacks=[RunDoctorCallback()])   # one line: the doctor's tags
trainer.fit(model, train_loader, val_loader)
# then: python -m diagnostics lightning_logs/
"""

HUGGINGFACE_EXAMPLE = """\
from transformers import Trainer, TrainingArguments
from trainers.callbacks.huggingface import RunDoctorCallback

args = TrainingArguments("out", num_train_epochs=3, logging_steps=10, report_to=["tensorboard"])
trainer = Trainer(model=model, args=args, train_dataset=train_ds,
                  callbacks=[RunDoctorCallback()])   # one line: the doctor's tags
trainer.train()
# then: python -m diagnostics out/
"""
