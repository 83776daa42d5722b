import warnings, time; warnings.simplefilter('ignore')
import matplotlib; matplotlib.use('Agg')
from csimodels.reports._examples import example_result as ex
from csimodels.reports import Report, ReportTemplate
import pathlib
out = pathlib.Path('/tmp/rep/r'); out.mkdir(parents=True, exist_ok=True)
secs = {'data': ex('DescriptionResult'), 'index': ex('PLSResult'), 'drivers': ex('PLSResult'), 'servqual': ex('SERVQUALResult'), 'kano': ex('KanoResult'), 'ahp': ex('AHPResult'), 'fce': ex('FCETreeResult'), 'trends': ex('TrendResult')}
for lang in ('zh','en'):
    t=time.time()
    r = Report(secs, template=ReportTemplate(title='客户满意度报告 2025' if lang=='zh' else 'Customer satisfaction 2025', language=lang, subtitle='Demo'), context={'previous': ('2025Q3', 69.4)})
    files = r.write(out/f'demo_{lang}', formats=('html','pdf','xlsx'))
    print(lang, time.time()-t, files)
