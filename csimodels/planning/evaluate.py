def evaluate_plan(plan, new, *, level=0.95): raise NotImplementedError
