"""Equipment: turning what devices send into measurements.

Pure protocol parsers (``protocols``), the serial stream framer and the simulators' frame builders
live here. They emit :class:`~ils_desktop.devices.measurement.Measurement` objects and never touch
the database or Qt; storing and matching readings to patients is the services layer's job.
"""
