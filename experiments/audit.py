"""The audit log's custom actions of experiments (registered in experiments/wagtail_hooks.py;
`core.audit.record_change` writes them)."""

EXPERIMENT_ACTIONS = {
    "pz.experiment.start": ("Start experiment", "Experiment started"),
    "pz.experiment.stop": ("Stop experiment", "Experiment stopped"),
    "pz.experiment.traffic": ("Change experiment traffic", "Experiment traffic changed"),
    "pz.experiment.weights": ("Change arm weights", "Arm weights changed"),
    "pz.experiment.promote": ("Promote winner", "Winner promoted"),
}
