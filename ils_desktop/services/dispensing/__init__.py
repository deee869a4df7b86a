"""Dispensing and lab orders, one module per use-case area: ``orders`` (the dispensing optician's
order from prescription to lab), ``payments`` (deposit and balance through the till), ``check_in``
(the lensmeter check and remakes), ``lab_queue`` (the lab's side of a job), ``connections`` (a
practice connecting to a lab), ``aftercare`` (returns, non-adapts, quality issues) and ``documents``
(the job ticket and the lab order file). ``views`` holds what they hand to screens."""
