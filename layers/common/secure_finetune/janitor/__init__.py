"""The janitor: nothing the pipeline bought or started keeps billing unnoticed (issue 12).

Daily (the template's schedule) and on demand (``finetune sweep``, a dry run unless ``--delete``), it
lists the account's customization jobs still training, evaluation jobs still judging, provisioned throughputs,
custom-model deployments and custom models, decides for each (``rules.py``), stops (a job, an evaluation job) or
deletes (the others) what the stack's ``SweepPolicy`` allows and tells the owners (``SWEPT``).

What is "ours" (``rules.proof``): all three must hold, or the resource is at most *reported*:

1. the stack's tag: ``pipeline`` = the stack's name (the Bedrock adapters add it to every job, evaluation job,
   custom model, throughput and deployment they create: a job's ``jobTags``, next to ``training/launch.py``'s
   ``run-id``);
2. our naming rule: the resource's name is a run id (``runs.is_run_name``), an evaluation job's that run id
   with ``-eval-base`` or ``-eval-custom`` (``rules.run_of``);
3. a write-ahead record: the run record of that name exists and holds the intent to create that kind
   of resource under that very name (``RunRecord.intent``; a job is its ``job`` intent; a custom model is
   the job's output and carries the job's name; both evaluation jobs are the run's ``evaluation`` intent).

A name match alone (anyone may pick such a name) or a tag match alone (a copied tag) is reported as
``not ours``, never deleted nor stopped; a resource matching neither is someone else's business and not
mentioned. A job of ours is stopped (never deleted) once its run has ended; the stop goes through the
run's intent (``teardown/intended.py``), which records ``stoppedBy`` = pipeline first.
"""
